import diagnostics from 'node:diagnostics_channel';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/platform/errors.ts';
import {
  canonicalAddress,
  createFetcher,
  type FetcherOptions,
  OUTBOUND_CONNECT_CHANNEL,
  OutboundErrors,
  type Resolver,
} from '../../src/platform/outbound/index.ts';

/**
 * The SSRF-safe fetcher, against real sockets: a fake marketplace on 127.0.0.1 and canary servers that
 * count every connection they receive (and the address it was made to). Node's `net.client.socket`
 * channel and the fetcher's own connect channel record every connection attempt, so a refusal is proven
 * by nothing having been dialled at all, not only by the error.
 */

// ---------------------------------------------------------------------------------------------------
// Sockets we listen on, and every connection attempt this process makes.

interface Canary {
  readonly port: number;
  /** The local address each connection was made to (`127.0.0.2`, `::1`, `::ffff:127.0.0.1` …). */
  readonly hits: string[];
  close(): Promise<void>;
}

async function startCanary(host: string, port = 0): Promise<Canary> {
  const hits: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    hits.push(socket.localAddress ?? '?');
    sockets.add(socket);
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, ipv6Only: false }, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const attempts: string[] = [];
diagnostics.subscribe('net.client.socket', (message) => {
  const { socket } = message as { socket: net.Socket };
  socket.on('connectionAttempt', (ip: string, port: number) => attempts.push(`tcp ${ip} ${port}`));
});
diagnostics.subscribe(OUTBOUND_CONNECT_CHANNEL, (message) => {
  const { address, port } = message as { address: string; port: number };
  attempts.push(`pinned ${address} ${port}`);
});

const GZIP_BOMB = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024)); // 64 MiB of zeros in ~64 KiB
const BROTLI_BOMB = zlib.brotliCompressSync(Buffer.alloc(64 * 1024 * 1024));

interface Marketplace {
  readonly port: number;
  readonly origin: string;
  readonly requests: { url: string; host: string | undefined; headers: http.IncomingHttpHeaders }[];
  /** Where `/to` redirects; set by the test. */
  redirectTo: string;
  close(): Promise<void>;
}

async function startMarketplace(host = '127.0.0.1', port = 0): Promise<Marketplace> {
  const requests: Marketplace['requests'] = [];
  const market: { redirectTo: string } = { redirectTo: '/item' };
  const server = http.createServer((request, response) => {
    requests.push({ url: request.url ?? '', host: request.headers.host, headers: request.headers });
    const path = (request.url ?? '').split('?')[0];
    switch (path) {
      case '/item':
        response.writeHead(200, {
          'content-type': 'application/json',
          'set-cookie': 'session=upstream-secret',
          'x-upstream-secret': 'do-not-return',
          etag: '"v1"',
        });
        response.end(JSON.stringify({ name: 'Linen shirt', price: '59.90' }));
        return;
      case '/text':
        response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        response.end('héllo');
        return;
      case '/not-json':
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('<html>not json</html>');
        return;
      case '/to':
        response.writeHead(302, { location: market.redirectTo });
        response.end();
        return;
      case '/hop': {
        // /hop?n=3 → /hop?n=2 → … → /item
        const n = Number(new URL(request.url ?? '', 'http://x').searchParams.get('n'));
        response.writeHead(307, { location: n > 0 ? `/hop?n=${n - 1}` : '/item' });
        response.end();
        return;
      }
      case '/huge-declared':
        response.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
        response.write(Buffer.alloc(1024));
        return; // never finishes: the fetcher must not wait for it
      case '/huge-chunked': {
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        let sent = 0;
        const pump = () => {
          while (sent < 64 * 1024 * 1024) {
            sent += chunk.length;
            if (!response.write(chunk)) return void response.once('drain', pump);
          }
          response.end();
        };
        response.on('close', () => {
          sent = Number.POSITIVE_INFINITY;
        });
        pump();
        return;
      }
      case '/gzip-bomb':
        response.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
        response.end(GZIP_BOMB);
        return;
      case '/brotli-bomb':
        response.writeHead(200, { 'content-encoding': 'br', 'content-type': 'application/json' });
        response.end(BROTLI_BOMB);
        return;
      case '/gzip-small':
        response.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
        response.end(zlib.gzipSync(JSON.stringify({ small: true })));
        return;
      case '/double-gzip':
        response.writeHead(200, { 'content-encoding': 'gzip, gzip' });
        response.end(zlib.gzipSync(zlib.gzipSync('{}')));
        return;
      case '/slow-body': {
        response.writeHead(200, { 'content-type': 'text/plain' });
        const timer = setInterval(() => response.write('.'), 50);
        response.on('close', () => clearInterval(timer));
        return;
      }
      case '/hang':
        return; // headers never come
      default:
        response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    port: actualPort,
    origin: `http://shop.test:${actualPort}`,
    requests,
    get redirectTo() {
      return market.redirectTo;
    },
    set redirectTo(value: string) {
      market.redirectTo = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------------------

/** A resolver the test controls: `shop.test` and its subdomains are the fake marketplace on 127.0.0.1. */
function fakeResolver(table: Record<string, readonly string[]> = {}) {
  const calls: string[] = [];
  const resolver: Resolver = async (hostname) => {
    calls.push(hostname);
    const answer =
      table[hostname] ??
      (hostname === 'shop.test' || hostname.endsWith('.shop.test') ? ['127.0.0.1'] : undefined);
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answer.map((address) => ({ address, family: net.isIP(address) || 4 }));
  };
  return { resolver, calls };
}

const LIMITS = { timeoutMs: 2_000, maxBytes: 1024 * 1024, maxRedirects: 3, userAgent: 'bulwark-test' };

/** A fetcher that may reach the fake marketplace (127.0.0.1, plain http, any port) and nothing else private. */
function marketFetcher(overrides: Partial<FetcherOptions> = {}) {
  const { resolver, calls } = fakeResolver();
  const fetcher = createFetcher({
    ...LIMITS,
    allowHosts: ['shop.test', '*.shop.test'],
    resolver,
    allowPrivateForTests: ['127.0.0.1'],
    allowHttpForTests: true,
    ...overrides,
  });
  return { fetcher, calls };
}

async function outboundFailure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'expected the fetch to fail').toBeInstanceOf(AppError);
  const appError = error as AppError;
  expect(Object.keys(OutboundErrors.catalogue)).toContain(appError.code);
  return appError;
}

let market: Marketplace;
let canary: Canary;
beforeAll(async () => {
  market = await startMarketplace();
  // Every interface, IPv4 and IPv6, on one port: any of the refused loopback and "this host" forms would
  // land here.
  canary = await startCanary('::');
});
afterAll(async () => {
  await market.close();
  await canary.close();
});
beforeEach(() => {
  attempts.length = 0;
});

// ---------------------------------------------------------------------------------------------------

describe('literal addresses that are not public are refused before any connection', () => {
  // [as written in the URL, what it means]
  const FORMS: ReadonlyArray<readonly [string, string]> = [
    ['127.0.0.1', 'loopback'],
    ['0x7f.1', 'loopback, hex and short'],
    ['2130706433', 'loopback, one decimal number'],
    ['0x7f000001', 'loopback, one hex number'],
    ['0177.0.0.1', 'loopback, octal'],
    ['127.1', 'loopback, short'],
    ['127.000.000.001', 'loopback, zero-padded'],
    ['127.0.0.1.', 'loopback, trailing dot'],
    ['%31%32%37.0.0.1', 'loopback, percent-encoded'],
    ['127.255.255.254', 'loopback, top of 127/8'],
    ['[::1]', 'IPv6 loopback'],
    ['[0:0:0:0:0:0:0:1]', 'IPv6 loopback, long'],
    ['[::ffff:127.0.0.1]', 'IPv4-mapped loopback'],
    ['[::ffff:7f00:1]', 'IPv4-mapped loopback, hex'],
    ['[0:0:0:0:0:ffff:7f00:1]', 'IPv4-mapped loopback, long'],
    ['[::127.0.0.1]', 'IPv4-compatible loopback'],
    ['[64:ff9b::7f00:1]', 'NAT64 loopback'],
    ['[64:ff9b::a9fe:a9fe]', 'NAT64 metadata'],
    ['[2002:7f00:1::1]', '6to4 of loopback'],
    ['[2001:0:4136:e378:8000:63bf:80ff:fffe]', 'Teredo'],
    ['169.254.169.254', 'cloud metadata'],
    ['[::ffff:169.254.169.254]', 'cloud metadata, IPv4-mapped'],
    ['[fd00:ec2::254]', 'AWS metadata over IPv6'],
    ['100.100.100.200', 'Alibaba Cloud metadata (CGNAT)'],
    ['169.254.0.1', 'link-local'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private, top of 172.16/12'],
    ['192.168.1.1', 'private'],
    ['[::ffff:192.168.1.1]', 'private, IPv4-mapped'],
    ['100.64.0.1', 'CGNAT'],
    ['0.0.0.0', 'unspecified'],
    ['0', 'unspecified, one number'],
    ['[::]', 'IPv6 unspecified'],
    ['[fd00::1]', 'IPv6 unique local'],
    ['[fc00::1]', 'IPv6 unique local'],
    ['[fe80::1]', 'IPv6 link-local'],
    ['[fec0::1]', 'IPv6 site-local'],
    ['224.0.0.1', 'multicast'],
    ['[ff02::1]', 'IPv6 multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['198.18.0.1', 'benchmarking'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.1', 'documentation'],
    ['203.0.113.1', 'documentation'],
    ['192.0.0.1', 'IETF protocol assignments'],
    ['[2001:db8::1]', 'IPv6 documentation'],
    ['[100::1]', 'IPv6 discard-only'],
  ];

  it('has more than twenty forms', () => {
    expect(FORMS.length).toBeGreaterThan(20);
  });

  it.each(FORMS)('http://%s:<canary>/ (%s)', async (form) => {
    const address = canonicalAddress(new URL(`http://${form}/`).hostname);
    expect(address, 'the form parses as an address').toBeDefined();
    // The host is on the allow-list and plain http on any port is allowed: only the address rule is left.
    const { fetcher, calls } = marketFetcher({
      allowHosts: [address?.address as string],
      allowPrivateForTests: [],
    });
    const error = await outboundFailure(fetcher.fetchText(`http://${form}:${canary.port}/latest/meta-data/`));
    expect(error.code).toBe('OUTBOUND_REFUSED');
    expect(error.detail).toBe('The address is not a public one.');
    expect(calls).toEqual([]); // a literal is never resolved
    expect(attempts).toEqual([]);
    expect(canary.hits).toEqual([]);
  });

  it('a public literal that is not on the allow-list is refused without a connection', async () => {
    const { fetcher } = marketFetcher();
    for (const host of ['93.184.216.34', '[2606:4700::1111]', '1.1.1.1']) {
      const error = await outboundFailure(fetcher.fetchText(`http://${host}:${canary.port}/`));
      expect(error.detail).toBe('The host is not one this service fetches from.');
    }
    expect(attempts).toEqual([]);
  });

  it('allow-listing a private address does not make it reachable', async () => {
    const { fetcher } = marketFetcher({ allowHosts: ['127.0.0.1', '::1'], allowPrivateForTests: [] });
    for (const host of ['127.0.0.1', '[::1]', '[::ffff:127.0.0.1]']) {
      expect((await outboundFailure(fetcher.fetchText(`http://${host}:${canary.port}/`))).code).toBe(
        'OUTBOUND_REFUSED',
      );
    }
    expect(canary.hits).toEqual([]);
  });
});

describe('host names', () => {
  it('a name resolving to a private address is refused, whichever private address', async () => {
    for (const address of [
      '10.0.0.5',
      '127.0.0.1',
      '::1',
      '::ffff:127.0.0.1',
      '169.254.169.254',
      'fd00::1',
    ]) {
      const { resolver, calls } = fakeResolver({ 'internal.shop.test': [address] });
      const { fetcher } = marketFetcher({ resolver, allowPrivateForTests: [] });
      const error = await outboundFailure(fetcher.fetchText(`http://internal.shop.test:${canary.port}/`));
      expect(error.detail, address).toBe('The address is not a public one.');
      expect(calls).toEqual(['internal.shop.test']);
    }
    expect(attempts).toEqual([]);
    expect(canary.hits).toEqual([]);
  });

  it('one private address among public ones is enough to refuse', async () => {
    const { resolver } = fakeResolver({
      'mixed.shop.test': ['93.184.216.34', '2606:4700::1111', '127.0.0.1'],
    });
    const { fetcher } = marketFetcher({ resolver, allowPrivateForTests: [] });
    const error = await outboundFailure(fetcher.fetchText(`http://mixed.shop.test:${canary.port}/`));
    expect(error.code).toBe('OUTBOUND_REFUSED');
    expect(attempts).toEqual([]);
  });

  it('a resolver answering nothing, garbage or an error fails without a connection', async () => {
    const cases: Array<[Resolver, string]> = [
      [async () => [], 'OUTBOUND_FAILED'],
      [async () => [{ address: 'not-an-address', family: 4 }], 'OUTBOUND_REFUSED'],
      [async () => [{ address: 'fe80::1%eth0', family: 6 }], 'OUTBOUND_REFUSED'],
      [async () => null as never, 'OUTBOUND_FAILED'],
      [
        async () => {
          throw new Error('SERVFAIL');
        },
        'OUTBOUND_FAILED',
      ],
    ];
    for (const [resolver, code] of cases) {
      const { fetcher } = marketFetcher({ resolver });
      expect((await outboundFailure(fetcher.fetchText(`${market.origin}/item`))).code).toBe(code);
    }
    expect(attempts).toEqual([]);
    expect(market.requests).toEqual([]);
  });

  it('hosts off the allow-list are refused before they are even resolved', async () => {
    const { fetcher, calls } = marketFetcher();
    for (const url of [
      `http://localhost:${market.port}/item`,
      `http://shop.test.evil.test:${market.port}/item`,
      `http://evilshop.test:${market.port}/item`,
      `http://shop.testx:${market.port}/item`,
      `http://shop.test%2eevil.test:${market.port}/item`,
      `http://evil.test\\@shop.test:${market.port}/item`,
      `http://evil.test:${market.port}/item#@shop.test`,
      `http://evil.test:${market.port}/?shop.test`,
      `http://xn--shop-test-4ya.evil:${market.port}/item`,
    ]) {
      const error = await outboundFailure(fetcher.fetchText(url));
      expect(error.code, url).toBe('OUTBOUND_REFUSED');
    }
    expect(calls).toEqual([]);
    expect(attempts).toEqual([]);
  });

  it('only https, without user info, on the standard port, unless a test allows otherwise', async () => {
    const { resolver, calls } = fakeResolver();
    const production = createFetcher({ ...LIMITS, allowHosts: ['shop.test'], resolver });
    const refusals: Array<[string, string]> = [
      [`http://shop.test/item`, 'Only https addresses are fetched.'],
      [`HTTP://shop.test/item`, 'Only https addresses are fetched.'],
      [`ftp://shop.test/item`, 'Only https addresses are fetched.'],
      [`file:///etc/passwd`, 'Only https addresses are fetched.'],
      [`gopher://shop.test:70/_`, 'Only https addresses are fetched.'],
      [`javascript:alert(1)`, 'Only https addresses are fetched.'],
      [`https://user:pw@shop.test/item`, 'Addresses with a user name or password are not fetched.'],
      [`https://user@shop.test/item`, 'Addresses with a user name or password are not fetched.'],
      [`https://shop.test:8443/item`, 'Only the standard port is used.'],
      [`https://shop.test:22/item`, 'Only the standard port is used.'],
      [`not a url`, 'The address is not a valid URL.'],
      [`https://shop.test/${'a'.repeat(5000)}`, 'The address is not a valid URL.'],
    ];
    for (const [url, detail] of refusals) {
      expect((await outboundFailure(production.fetchText(url))).detail, url).toBe(detail);
    }
    expect(calls).toEqual([]);
    expect(attempts).toEqual([]);
  });

  it('the test allowances cannot be used when NODE_ENV is production', () => {
    const before = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      expect(() => marketFetcher()).toThrow(/production/);
      expect(() => marketFetcher({ allowPrivateForTests: [] })).toThrow(/production/);
      expect(() => createFetcher({ ...LIMITS, allowHosts: ['shop.test'] })).not.toThrow();
    } finally {
      process.env.NODE_ENV = before;
    }
  });
});

describe('fetching from an allowed host', () => {
  it('answers status, allow-listed headers and the parsed body, connecting only to the checked address', async () => {
    const { fetcher, calls } = marketFetcher();
    const answer = await fetcher.fetchJson(`${market.origin}/item`);
    expect(answer).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json', etag: '"v1"' },
      body: { name: 'Linen shirt', price: '59.90' },
    });
    expect(calls).toEqual(['shop.test']);
    expect(attempts).toEqual([`pinned 127.0.0.1 ${market.port}`, `tcp 127.0.0.1 ${market.port}`]);
    const request = market.requests.at(-1);
    // The name travels in Host; the user agent is ours; the caller cannot switch compression off or on.
    expect(request?.host).toBe(`shop.test:${market.port}`);
    expect(request?.headers['user-agent']).toBe('bulwark-test');
    expect(request?.headers.accept).toBe('application/json');
  });

  it('reads text as UTF-8, non-2xx answers included (the caller decides)', async () => {
    const { fetcher } = marketFetcher();
    expect((await fetcher.fetchText(`${market.origin}/text`)).body).toBe('héllo');
    expect(await fetcher.fetchText(`${market.origin}/missing`)).toMatchObject({ status: 404, body: '' });
  });

  it('decompresses a small gzip answer', async () => {
    const { fetcher } = marketFetcher();
    expect((await fetcher.fetchJson(`${market.origin}/gzip-small`)).body).toEqual({ small: true });
  });

  it('an answer that is not JSON is OUTBOUND_FAILED, and the error carries none of it', async () => {
    const { fetcher } = marketFetcher();
    const error = await outboundFailure(fetcher.fetchJson(`${market.origin}/not-json`));
    expect(error.code).toBe('OUTBOUND_FAILED');
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('not json');
  });

  it('refuses request headers that would change framing, the host or the encoding', async () => {
    const { fetcher } = marketFetcher();
    for (const name of [
      'host',
      'Host',
      'transfer-encoding',
      'content-length',
      'accept-encoding',
      'bad name',
    ]) {
      await expect(fetcher.fetchText(`${market.origin}/item`, { headers: { [name]: 'x' } })).rejects.toThrow(
        /cannot be set/,
      );
    }
    expect(attempts).toEqual([]);
  });
});

describe('redirects are followed by hand, each hop checked again', () => {
  it('follows up to three, relative or absolute, to allowed hosts', async () => {
    const { fetcher, calls } = marketFetcher();
    expect((await fetcher.fetchJson(`${market.origin}/hop?n=2`)).body).toMatchObject({ name: 'Linen shirt' });
    market.redirectTo = `http://cdn.shop.test:${market.port}/item`;
    expect((await fetcher.fetchJson(`${market.origin}/to`)).status).toBe(200);
    // Each hop is resolved again: /hop?n=2, n=1, n=0, /item, then /to and cdn.shop.test.
    expect(calls).toEqual([...Array(5).fill('shop.test'), 'cdn.shop.test']);
  });

  it('a fourth redirect is refused', async () => {
    const { fetcher } = marketFetcher();
    const before = market.requests.length;
    const error = await outboundFailure(fetcher.fetchJson(`${market.origin}/hop?n=3`));
    expect(error.detail).toBe('The answer redirected more times than allowed.');
    expect(market.requests.length - before).toBe(4);
  });

  it.each([
    ['the metadata service', () => `http://169.254.169.254:${canary.port}/latest/meta-data/`],
    ['loopback on another port', () => `http://127.0.0.1:${canary.port}/`],
    ['loopback in hex', () => `http://0x7f.1:${canary.port}/`],
    ['IPv6 loopback', () => `http://[::1]:${canary.port}/`],
    ['a host off the allow-list', () => `http://evil.test:${canary.port}/`],
    ['an allowed name that resolves to a private address', () => `http://internal.shop.test:${canary.port}/`],
    ['another scheme', () => 'file:///etc/passwd'],
    ['user info', () => `http://user:pw@shop.test:${canary.port}/`],
  ])('a redirect to %s is refused and nothing reaches it', async (_name, target) => {
    const { resolver } = fakeResolver({ 'internal.shop.test': ['10.0.0.7'] });
    // The metadata address is on the allow-list, so only the address check of the second hop stops it.
    const { fetcher } = marketFetcher({
      resolver,
      allowHosts: ['shop.test', '*.shop.test', '169.254.169.254'],
    });
    market.redirectTo = target();
    const error = await outboundFailure(fetcher.fetchText(`${market.origin}/to`));
    expect(error.code).toBe('OUTBOUND_REFUSED');
    expect(attempts).toEqual([`pinned 127.0.0.1 ${market.port}`, `tcp 127.0.0.1 ${market.port}`]);
    expect(canary.hits).toEqual([]);
  });

  it('a redirect to a malformed location is refused', async () => {
    const { fetcher } = marketFetcher();
    market.redirectTo = 'http://[::1';
    expect((await outboundFailure(fetcher.fetchText(`${market.origin}/to`))).code).toBe('OUTBOUND_REFUSED');
  });
});

describe('DNS rebinding', () => {
  let rebound: Canary;
  let home: Marketplace;
  beforeAll(async () => {
    // Same port, another loopback address: what a rebinding resolver would send the connection to.
    home = await startMarketplace('127.0.0.1');
    rebound = await startCanary('127.0.0.2', home.port);
  });
  afterAll(async () => {
    await home.close();
    await rebound.close();
  });

  function rebindingResolver() {
    let answered = 0;
    const calls: string[] = [];
    const resolver: Resolver = async (hostname) => {
      calls.push(hostname);
      answered += 1;
      // The checked answer first; every later question gets the internal address.
      return [{ address: answered === 1 ? '127.0.0.1' : '127.0.0.2', family: 4 }];
    };
    return { resolver, calls };
  }

  it('the connection goes to the address that was checked, not to a later answer', async () => {
    const { resolver, calls } = rebindingResolver();
    const { fetcher } = marketFetcher({ resolver });
    const answer = await fetcher.fetchJson(`http://shop.test:${home.port}/item`);
    expect(answer.status).toBe(200);
    expect(calls).toEqual(['shop.test']); // resolved once: nothing resolves again at connect time
    expect(attempts).toEqual([`pinned 127.0.0.1 ${home.port}`, `tcp 127.0.0.1 ${home.port}`]);
    expect(rebound.hits).toEqual([]);
  });

  it('a redirect back to the same name is resolved and checked again, and refused once it rebinds', async () => {
    const { resolver, calls } = rebindingResolver();
    const { fetcher } = marketFetcher({ resolver });
    home.redirectTo = '/item';
    const error = await outboundFailure(fetcher.fetchJson(`http://shop.test:${home.port}/to`));
    expect(error.detail).toBe('The address is not a public one.');
    expect(calls).toEqual(['shop.test', 'shop.test']);
    expect(attempts).toEqual([`pinned 127.0.0.1 ${home.port}`, `tcp 127.0.0.1 ${home.port}`]);
    expect(rebound.hits).toEqual([]);
  });
});

describe('limits', () => {
  it('a declared length over the limit is refused at once', async () => {
    const { fetcher } = marketFetcher();
    const started = Date.now();
    expect((await outboundFailure(fetcher.fetchText(`${market.origin}/huge-declared`))).code).toBe(
      'OUTBOUND_TOO_LARGE',
    );
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('a streamed body is cut off past the limit', async () => {
    const { fetcher } = marketFetcher();
    expect((await outboundFailure(fetcher.fetchText(`${market.origin}/huge-chunked`))).code).toBe(
      'OUTBOUND_TOO_LARGE',
    );
  });

  it.each(['/gzip-bomb', '/brotli-bomb'])(
    '%s (64 MiB from ~64 KiB) stops at the decompressed limit',
    async (path) => {
      const { fetcher } = marketFetcher();
      const before = process.memoryUsage().arrayBuffers;
      expect((await outboundFailure(fetcher.fetchJson(`${market.origin}${path}`))).code).toBe(
        'OUTBOUND_TOO_LARGE',
      );
      // Nothing near 64 MiB was ever held.
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 1024 * 1024);
    },
  );

  it('stacked encodings are refused', async () => {
    const { fetcher } = marketFetcher();
    expect((await outboundFailure(fetcher.fetchText(`${market.origin}/double-gzip`))).code).toBe(
      'OUTBOUND_FAILED',
    );
  });

  it('a body that trickles, headers that never come and a resolver that never answers all time out', async () => {
    const hung: Resolver = () => new Promise(() => {});
    const cases: Array<[string, Partial<FetcherOptions>]> = [
      [`${market.origin}/slow-body`, {}],
      [`${market.origin}/hang`, {}],
      [`${market.origin}/item`, { resolver: hung }],
    ];
    for (const [url, overrides] of cases) {
      const { fetcher } = marketFetcher({ ...overrides, timeoutMs: 300 });
      const started = Date.now();
      expect((await outboundFailure(fetcher.fetchText(url))).code, url).toBe('OUTBOUND_TIMEOUT');
      expect(Date.now() - started, url).toBeLessThan(2_000);
    }
  });

  it('a port nobody listens on is OUTBOUND_FAILED', async () => {
    const gone = await startCanary('127.0.0.1');
    await gone.close();
    const { fetcher } = marketFetcher();
    expect((await outboundFailure(fetcher.fetchText(`http://shop.test:${gone.port}/`))).code).toBe(
      'OUTBOUND_FAILED',
    );
  });
});

describe('any URL string', () => {
  const HOSTS = [
    'shop.test',
    'a.shop.test',
    'SHOP.TEST',
    'shop.test.',
    'shop.test.evil.test',
    'evilshop.test',
    'localhost',
    'internal.shop.test',
    '127.0.0.1',
    '127.0.0.2',
    '0x7f.1',
    '2130706433',
    '0177.0.0.1',
    '127.1',
    '[::1]',
    '[::ffff:127.0.0.1]',
    '[::ffff:7f00:2]',
    '169.254.169.254',
    '0.0.0.0',
    '[::]',
    '[fd00:ec2::254]',
    'user:pw@shop.test',
    'evil.test@shop.test',
    'shop.test@evil.test',
    'shop.test\\@evil.test',
    'shop.test%00.evil.test',
    '',
  ];
  const PATHS = [
    '/',
    '/item',
    '/to',
    '/hop?n=1',
    '/text',
    '/missing',
    '/%2e%2e/%2e%2e/etc/passwd',
    '#x',
    '?a=b',
  ];
  const SCHEMES = [
    'http://',
    'https://',
    'HTTP://',
    'http:/',
    'http:\\\\',
    '//',
    'ftp://',
    'file://',
    'gopher://',
    '',
  ];

  it('never throws anything but an OUTBOUND_* error, and never connects anywhere but the checked fake', async () => {
    const { resolver } = fakeResolver({ 'internal.shop.test': ['127.0.0.2'] });
    const { fetcher } = marketFetcher({ resolver, timeoutMs: 1_000 });
    const ports = [`:${market.port}`, `:${canary.port}`, '', ':0', ':65536', ':443', ':80'];
    const built = fc
      .tuple(
        fc.constantFrom(...SCHEMES),
        fc.constantFrom(...HOSTS),
        fc.constantFrom(...ports),
        fc.constantFrom(...PATHS),
        fc.string({ maxLength: 12 }),
      )
      .map(([scheme, host, port, path, tail]) => `${scheme}${host}${port}${path}${tail}`);
    // Mostly near-misses of the fake's own origin, so many runs really connect and redirect.
    const nearMarket = fc
      .tuple(fc.constantFrom(...PATHS), fc.string({ maxLength: 12 }))
      .map(([path, tail]) => `http://shop.test:${market.port}${path}${tail}`);
    const redirectTargets = fc.oneof(
      built,
      nearMarket,
      fc.constantFrom(`http://127.0.0.2:${canary.port}/`, `http://[::1]:${canary.port}/`, '/item', '/to'),
    );
    let reached = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { arbitrary: built, weight: 4 },
          { arbitrary: nearMarket, weight: 2 },
          { arbitrary: fc.string(), weight: 1 },
          { arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }), weight: 1 },
        ),
        redirectTargets,
        async (url, redirect) => {
          market.redirectTo = redirect;
          attempts.length = 0;
          try {
            await fetcher.fetchText(url);
          } catch (error) {
            expect(error).toBeInstanceOf(AppError);
            expect(Object.keys(OutboundErrors.catalogue)).toContain((error as AppError).code);
          }
          for (const attempt of attempts) expect(attempt).toMatch(/^(pinned|tcp) 127\.0\.0\.1 \d+$/);
          if (attempts.length > 0) reached += 1;
        },
      ),
      { numRuns: 300 },
    );
    expect(reached).toBeGreaterThan(50);
    // The canary shares ports with nothing allowed except 127.0.0.1: any other local address is a breach.
    for (const hit of canary.hits) expect(canonicalAddress(hit)?.address).toBe('127.0.0.1');
  });
});
