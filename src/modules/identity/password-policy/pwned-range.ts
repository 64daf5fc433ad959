import { pwnedPasswordsDigest } from '../../vault/password-hasher.ts';

const MAX_RANGE_BYTES = 1024 * 1024; // 1 MiB

export interface PwnedRangeOptions {
  /** The range endpoint up to the prefix, e.g. `https://api.pwnedpasswords.com/range/`. */
  readonly url: string;
  readonly timeoutMs: number;
}

/** `found`: the service knows the password; `unknown`: it could not be asked in time (never blocks). */
export type PwnedVerdict = 'found' | 'not-found' | 'unknown';

/**
 * The one outbound request of the password policy, kept apart so the SSRF-safe fetcher can replace it:
 * the body of `${url}${prefix}` with padding asked for, or an error on timeout, refusal or a non-2xx.
 */
export async function fetchPwnedRange(url: string, prefix: string, timeoutMs: number): Promise<string> {
  // biome-ignore lint/style/noRestrictedGlobals: the configured HIBP URL is operator-set; swapped for the SSRF-safe fetcher with the shield issue.
  const response = await fetch(`${url}${prefix}`, {
    headers: { 'Add-Padding': 'true', accept: 'text/plain' },
    redirect: 'error',
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`the range API answered ${response.status}`);
  // A real answer is ~30 KB; a hostile or broken endpoint must not make us buffer without end.
  const chunks: Uint8Array[] = [];
  let received = 0;
  for await (const chunk of response.body ?? []) {
    received += chunk.byteLength;
    if (received > MAX_RANGE_BYTES) throw new Error('the range API answer is too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
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
    body = await fetchPwnedRange(options.url, prefix, options.timeoutMs);
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    onUnavailable(timedOut ? `no answer within ${options.timeoutMs} ms` : 'the request failed');
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
