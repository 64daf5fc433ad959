import diagnostics from 'node:diagnostics_channel';
import dns from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { AppError } from '../errors.ts';
import { type CanonicalAddress, canonicalAddress, isPublicAddress } from './addresses.ts';
import { OutboundErrors } from './outbound.errors.ts';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/** Resolves a host name to every address it has (`dns.lookup` with `all: true` by default). */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface FetcherOptions {
  /**
   * Hosts this fetcher may reach: an exact name (`api.pwnedpasswords.com`) or IP address, or `*.domain`
   * for any name below that domain on a dot boundary (`*.taobao.com` is `item.taobao.com`, not
   * `taobao.com` nor `eviltaobao.com`).
   */
  readonly allowHosts: readonly string[];
  readonly resolver?: Resolver;
  /** The whole exchange, redirects included: resolving, connecting, headers and body. */
  readonly timeoutMs: number;
  /** The largest body accepted, both as received and once decompressed. */
  readonly maxBytes: number;
  readonly maxRedirects: number;
  readonly userAgent: string;
  /**
   * WARNING: test-only. Exact addresses (loopback fakes) that may be reached although they are not public.
   * Nothing reads it from the environment or the configuration; refused when NODE_ENV is production.
   */
  readonly allowPrivateForTests?: readonly string[];
  /** WARNING: test-only. Plain `http:` and any port, for fakes on ephemeral ports. Refused in production. */
  readonly allowHttpForTests?: boolean;
}

export interface FetchRequest {
  /** Extra request headers (`accept`, `add-padding` …); hop-by-hop and framing headers cannot be set. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface FetchResponse<T> {
  readonly status: number;
  /** Only the allow-listed headers below, lower-case, each at most 256 characters. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: T;
}

export interface Fetcher {
  fetchText(url: string, request?: FetchRequest): Promise<FetchResponse<string>>;
  fetchJson(url: string, request?: FetchRequest): Promise<FetchResponse<unknown>>;
  /** POSTs `body` as JSON (a webhook); redirects are not followed. Answers the status and text. */
  postJson(url: string, body: unknown, request?: FetchRequest): Promise<FetchResponse<string>>;
}

/**
 * Every connection the fetcher opens is published here first (`{ address, port }`), so tests can prove
 * where it went, TLS included (Node's own `net.client.socket` channel does not see TLS connections).
 */
export const OUTBOUND_CONNECT_CHANNEL = 'bulwark:outbound:connect';
const connectChannel = diagnostics.channel(OUTBOUND_CONNECT_CHANNEL);

const RESPONSE_HEADERS = ['content-type', 'content-language', 'etag', 'last-modified', 'cache-control'];
const FORBIDDEN_REQUEST_HEADERS = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'accept-encoding',
  'upgrade',
  'te',
  'trailer',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'user-agent',
]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const HEADER_NAME = /^[a-z0-9-]{1,64}$/;
const MAX_URL_LENGTH = 4096;

const refused = (detail: string) => OutboundErrors.OUTBOUND_REFUSED(detail);

const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

interface Target {
  readonly url: URL;
  /** The name for Host and TLS SNI, or the address itself for a literal. */
  readonly host: string;
  readonly literal: boolean;
  /** The checked address the connection is pinned to. */
  readonly pinned: CanonicalAddress;
}

type Exchange =
  | { readonly kind: 'redirect'; readonly location: string }
  | {
      readonly kind: 'answer';
      readonly status: number;
      readonly headers: Record<string, string>;
      body: Buffer;
    };

/**
 * An HTTPS client that can only reach allow-listed hosts at public addresses. It resolves names itself,
 * refuses when any address is not public, and connects only to the address it checked (so DNS rebinding
 * between the check and the connection cannot work); it follows redirects itself, checking every hop
 * again; it bounds the time, the body and the decompressed body. Failures are AppErrors with OUTBOUND_*
 * codes and nothing else.
 */
export function createFetcher(options: FetcherOptions): Fetcher {
  const allowPrivate = new Set(
    (options.allowPrivateForTests ?? []).map((text) => {
      const address = canonicalAddress(text);
      if (!address) throw new Error(`allowPrivateForTests: ${text} is not an IP address`);
      return address.address;
    }),
  );
  const allowHttp = options.allowHttpForTests === true;
  if ((allowPrivate.size > 0 || allowHttp) && process.env.NODE_ENV === 'production') {
    throw new Error('the outbound test allowances cannot be used in production');
  }
  const exactHosts = new Set<string>();
  const domains: string[] = [];
  for (const entry of options.allowHosts) {
    const lower = entry.toLowerCase().replace(/\.$/, '');
    if (lower.startsWith('*.')) domains.push(`.${lower.slice(2)}`);
    else exactHosts.add(canonicalAddress(lower)?.address ?? lower);
  }
  const resolver = options.resolver ?? systemResolver;

  const hostAllowed = (host: string, literal: boolean) =>
    exactHosts.has(host) || (!literal && domains.some((domain) => host.endsWith(domain)));
  const reachable = (address: CanonicalAddress) =>
    isPublicAddress(address) || allowPrivate.has(address.address);

  async function checkTarget(text: string, signal: AbortSignal): Promise<Target> {
    let url: URL;
    try {
      if (text.length > MAX_URL_LENGTH) throw new Error('too long');
      url = new URL(text);
    } catch {
      throw refused('The address is not a valid URL.');
    }
    if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
      throw refused('Only https addresses are fetched.');
    }
    if (url.username !== '' || url.password !== '') {
      throw refused('Addresses with a user name or password are not fetched.');
    }
    if (url.port !== '' && !allowHttp) throw refused('Only the standard port is used.');
    const name = url.hostname.endsWith('.') ? url.hostname.slice(0, -1) : url.hostname;
    const literal = canonicalAddress(name);
    const host = literal?.address ?? name;
    if (!hostAllowed(host, literal !== undefined)) {
      throw refused('The host is not one this service fetches from.');
    }
    const addresses = literal ? [literal] : await resolve(name, signal);
    // Every answer must be public, not only the one we would use: the resolver's order is not ours to trust.
    if (addresses.length === 0) throw OutboundErrors.OUTBOUND_FAILED('The host name has no address.');
    if (!addresses.every(reachable)) throw refused('The address is not a public one.');
    return { url, host, literal: literal !== undefined, pinned: addresses[0] as CanonicalAddress };
  }

  async function resolve(name: string, signal: AbortSignal): Promise<CanonicalAddress[]> {
    let answers: readonly ResolvedAddress[];
    try {
      answers = await abortable(resolver(name), signal);
    } catch (error) {
      if (signal.aborted) throw OutboundErrors.OUTBOUND_TIMEOUT('No answer in time.', { cause: error });
      throw OutboundErrors.OUTBOUND_FAILED('The host name could not be resolved.', { cause: error });
    }
    const addresses: CanonicalAddress[] = [];
    for (const answer of Array.isArray(answers) ? answers : []) {
      const address = canonicalAddress(String((answer as ResolvedAddress | undefined)?.address));
      // Something that is not an address at all is as suspect as a private one.
      if (!address) throw refused('The address is not a public one.');
      addresses.push(address);
    }
    return addresses;
  }

  function exchange(
    target: Target,
    headers: Record<string, string>,
    signal: AbortSignal,
    payload: Buffer | null = null,
  ): Promise<Exchange> {
    const { url, pinned } = target;
    const secure = url.protocol === 'https:';
    const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
    // The connection goes to the address that was checked, whatever the resolver would say now.
    const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
      if (lookupOptions.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
      else callback(null, pinned.address, pinned.family);
    };
    return new Promise<Exchange>((resolvePromise, reject) => {
      connectChannel.publish({ address: pinned.address, port });
      const request = (secure ? https : http).request({
        // A literal connects to its canonical form directly; a name keeps its name for SNI and certificates.
        host: target.literal ? pinned.address : target.host,
        port,
        path: `${url.pathname}${url.search}`,
        method: payload ? 'POST' : 'GET',
        headers: {
          ...headers,
          host: url.host,
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': String(payload.length) }
            : {}),
        },
        lookup,
        family: pinned.family,
        agent: false,
        signal,
        maxHeaderSize: 16 * 1024,
      });
      request.once('socket', (socket) => {
        socket.once('connect', () => {
          const remote = canonicalAddress(socket.remoteAddress ?? '');
          if (remote?.address !== pinned.address) {
            request.destroy(refused('The connection went to an address that was not checked.'));
          }
        });
      });
      // Kept for the request's whole life: an error after the answer settled must not go unhandled.
      request.on('error', reject);
      request.once('response', (response) => {
        const status = response.statusCode ?? 0;
        const location = response.headers.location;
        if (REDIRECTS.has(status) && typeof location === 'string') {
          response.destroy();
          resolvePromise({ kind: 'redirect', location });
          return;
        }
        readBody(response, signal).then(
          (body) => resolvePromise({ kind: 'answer', status, headers: pickHeaders(response.headers), body }),
          reject,
        );
      });
      request.end(payload ?? undefined);
    });
  }

  async function readBody(response: http.IncomingMessage, signal: AbortSignal): Promise<Buffer> {
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      response.destroy();
      throw OutboundErrors.OUTBOUND_TOO_LARGE('The answer is larger than allowed.');
    }
    let decoder: Transform | undefined;
    try {
      decoder = decoderFor(response.headers['content-encoding']);
    } catch (error) {
      response.destroy();
      throw error;
    }
    const chunks: Buffer[] = [];
    // Counted before decompression (what crosses the wire) and after (a small gzip bomb inflates to
    // gigabytes): both stop at maxBytes, so memory stays bounded whatever the upstream sends.
    const raw = byteLimit(options.maxBytes);
    const decoded = byteLimit(options.maxBytes);
    const collect = async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) chunks.push(chunk);
    };
    if (decoder) await pipeline(response, raw, decoder, decoded, collect, { signal });
    else await pipeline(response, raw, collect, { signal });
    return Buffer.concat(chunks);
  }

  async function fetchBytes(text: string, request: FetchRequest = {}) {
    const signal = AbortSignal.timeout(options.timeoutMs);
    const headers = requestHeaders(request, options.userAgent);
    let current = text;
    try {
      for (let hop = 0; ; hop++) {
        const target = await checkTarget(current, signal);
        const answer = await exchange(target, headers, signal);
        if (answer.kind === 'answer') return answer;
        if (hop >= options.maxRedirects) throw refused('The answer redirected more times than allowed.');
        try {
          current = new URL(answer.location, target.url).href;
        } catch {
          throw refused('The answer redirected to an address that is not a valid URL.');
        }
      }
    } catch (error) {
      throw outboundError(error, signal);
    }
  }

  return {
    async postJson(url, body, request = {}) {
      const signal = AbortSignal.timeout(options.timeoutMs);
      try {
        const target = await checkTarget(url, signal);
        const payload = Buffer.from(JSON.stringify(body), 'utf8');
        const answer = await exchange(target, requestHeaders(request, options.userAgent), signal, payload);
        // A POST is never repeated elsewhere: a redirect is a refusal.
        if (answer.kind === 'redirect') throw refused('The answer redirected a POST.');
        return { status: answer.status, headers: answer.headers, body: decodeText(answer.body) };
      } catch (error) {
        throw outboundError(error, signal);
      }
    },
    async fetchText(url, request) {
      const answer = await fetchBytes(url, request);
      return { status: answer.status, headers: answer.headers, body: decodeText(answer.body) };
    },
    async fetchJson(url, request) {
      const answer = await fetchBytes(url, {
        ...request,
        headers: { accept: 'application/json', ...request?.headers },
      });
      try {
        return { status: answer.status, headers: answer.headers, body: JSON.parse(decodeText(answer.body)) };
      } catch (error) {
        throw OutboundErrors.OUTBOUND_FAILED('The answer is not valid JSON.', { cause: error });
      }
    },
  };
}

function requestHeaders(request: FetchRequest, userAgent: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(lower) || FORBIDDEN_REQUEST_HEADERS.has(lower)) {
      throw new Error(`the request header ${name} cannot be set`);
    }
    headers[lower] = value;
  }
  return {
    accept: '*/*',
    ...headers,
    'user-agent': userAgent,
    'accept-encoding': 'gzip, deflate, br',
    connection: 'close',
  };
}

/** Anything that went wrong, as one of the four OUTBOUND_* errors; a programming error stays itself. */
function outboundError(error: unknown, signal: AbortSignal): unknown {
  if (error instanceof AppError) return error;
  if (signal.aborted) return OutboundErrors.OUTBOUND_TIMEOUT('No answer in time.', { cause: error });
  return OutboundErrors.OUTBOUND_FAILED('The upstream service could not be reached.', { cause: error });
}

function decoderFor(encoding: string | undefined): Transform | undefined {
  const name = (encoding ?? '').trim().toLowerCase();
  if (name === '' || name === 'identity') return undefined;
  if (name === 'gzip' || name === 'x-gzip') return zlib.createGunzip();
  if (name === 'deflate') return zlib.createInflate();
  if (name === 'br') return zlib.createBrotliDecompress();
  // Stacked codings ("gzip, gzip") multiply a bomb's ratio; nothing legitimate needs them.
  throw OutboundErrors.OUTBOUND_FAILED('The answer uses an encoding that is not accepted.');
}

function byteLimit(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      seen += chunk.length;
      if (seen > maxBytes) callback(OutboundErrors.OUTBOUND_TOO_LARGE('The answer is larger than allowed.'));
      else callback(null, chunk);
    },
  });
}

function pickHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of RESPONSE_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') picked[name] = value.slice(0, 256);
  }
  return picked;
}

const utf8 = new TextDecoder('utf-8');
function decodeText(body: Buffer): string {
  return utf8.decode(body);
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolvePromise, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolvePromise(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
