import { AppError } from '../../../platform/errors.ts';
import { type Fetcher, type FetcherFactory, fetcherFactory } from '../../../platform/outbound/index.ts';
import { pwnedPasswordsDigest } from '../../vault/password-hasher.ts';

const MAX_RANGE_BYTES = 1024 * 1024; // 1 MiB

export interface PwnedRangeOptions {
  /** The range endpoint up to the prefix, e.g. `https://api.pwnedpasswords.com/range/`. */
  readonly url: string;
  readonly timeoutMs: number;
  /** The fetcher made for this endpoint by `pwnedRangeFetcher`. */
  readonly fetcher: Fetcher;
}

/** `found`: the service knows the password; `unknown`: it could not be asked in time (never blocks). */
export type PwnedVerdict = 'found' | 'not-found' | 'unknown';

/**
 * The SSRF-safe fetcher for the configured range endpoint: its host only, https on the standard port, a
 * public address, no redirects, the timeout for the whole exchange, and 1 MiB at most (a real answer is
 * ~30 KB; a hostile or broken endpoint must not make us buffer without end).
 */
export function pwnedRangeFetcher(
  url: string,
  timeoutMs: number,
  outbound: FetcherFactory = fetcherFactory(),
) {
  return outbound({
    allowHosts: [new URL(url).hostname],
    timeoutMs,
    maxBytes: MAX_RANGE_BYTES,
    maxRedirects: 0,
    userAgent: 'Bulwark password policy',
  });
}

/**
 * The one outbound request of the password policy: the body of `${url}${prefix}` with padding asked for,
 * or an error on timeout, refusal or a non-2xx.
 */
export async function fetchPwnedRange(fetcher: Fetcher, url: string, prefix: string): Promise<string> {
  const response = await fetcher.fetchText(`${url}${prefix}`, {
    headers: { 'add-padding': 'true', accept: 'text/plain' },
  });
  if (response.status < 200 || response.status > 299) {
    throw new Error(`the range API answered ${response.status}`);
  }
  return response.body;
}

/**
 * Asks the Pwned Passwords range API whether the password is in a known breach, by k-anonymity: only
 * the first 5 hex digits of its SHA-1 are sent, and the answer's suffixes are compared here. Padding
 * lines (count 0) are not matches. Failure or slowness answers `unknown` with `onUnavailable` called.
 */
export async function checkPwnedRange(
  password: string,
  options: PwnedRangeOptions,
  onUnavailable: (reason: string) => void,
): Promise<PwnedVerdict> {
  const digest = pwnedPasswordsDigest(password);
  const prefix = digest.slice(0, 5);
  const suffix = digest.slice(5);
  let body: string;
  try {
    body = await fetchPwnedRange(options.fetcher, options.url, prefix);
  } catch (error) {
    onUnavailable(unavailableReason(error, options.timeoutMs));
    return 'unknown';
  }
  // Lines are `<35 hex digits of suffix>:<count>`; padding lines have count 0.
  for (const line of body.split('\n')) {
    const separator = line.indexOf(':');
    if (separator !== 35) continue;
    if (line.slice(0, separator).toUpperCase() !== suffix) continue;
    return Number.parseInt(line.slice(separator + 1), 10) > 0 ? 'found' : 'not-found';
  }
  return 'not-found';
}

// The fetcher's details name the rule that refused, never the URL (which ends in the hash prefix).
function unavailableReason(error: unknown, timeoutMs: number): string {
  if (!(error instanceof AppError)) return 'the request failed';
  if (error.code === 'OUTBOUND_TIMEOUT') return `no answer within ${timeoutMs} ms`;
  if (error.code === 'OUTBOUND_REFUSED') return `the request was refused: ${error.detail}`;
  if (error.code === 'OUTBOUND_TOO_LARGE') return 'the answer was too large';
  return 'the request failed';
}
