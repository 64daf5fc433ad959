import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createTestApp,
  expectProblem,
  type Shopper,
  signUp,
  staffClient,
  type TestApp,
} from '../helpers/test-app.ts';

/**
 * POST /v1/links/resolve through the real server: the product resolver reads item data from fake
 * marketplaces on 127.0.0.1 through the SSRF-safe fetcher (the test app's only private allowance), and a
 * canary on every interface counts anything that reaches an address it should not.
 */

// What a hostile or broken marketplace puts in its answers; none of it may reach a client or a log.
const UPSTREAM_SECRET = 'UPSTREAM-SECRET-7f3a9c';

const ITEM = {
  '@context': 'https://schema.org',
  '@type': 'Product',
  name: ' \u202eLinen\u202c shirt\u0000  with\t\ttwo\u200b pockets\n ',
  description: `Internal notes: ${UPSTREAM_SECRET}`,
  sku: UPSTREAM_SECRET,
  image: [
    '//img.alicdn.com/imgextra/i1/shirt-front.jpg',
    'https://gw.alicdn.com/imgextra/i2/shirt-back.jpg#frag',
    'https://img.alicdn.com/imgextra/i1/shirt-front.jpg',
    'http://img.alicdn.com/plain-http.jpg',
    'https://img.alicdn.com.evil.test/lookalike.jpg',
    'https://evil.test/tracker.gif',
    'https://user:pw@img.alicdn.com/userinfo.jpg',
    'https://img.alicdn.com:8443/port.jpg',
    'javascript:alert(1)',
    'http://169.254.169.254/latest/meta-data/',
    `data:image/png;base64,${UPSTREAM_SECRET}`,
    42,
  ],
  offers: { '@type': 'Offer', price: '59.90', priceCurrency: 'CNY' },
  options: [
    { name: 'Colour\u2066', values: ['White', 'Sand', 'White', ' ', '\u202eBlack'] },
    { name: 'Size', values: ['S', 'M', 'L', 'X'.repeat(500)] },
    { name: '', values: ['no name'] },
    { name: 'Empty', values: [] },
    'not an option',
  ],
};

const JD_ITEM = {
  '@type': ['Product'],
  name: '蓝牙耳机 降噪',
  image: ['https://img10.360buyimg.com/n1/headphones.jpg', 'https://img.alicdn.com/not-jd.jpg'],
  offers: [{ '@type': 'Offer', price: 199, priceCurrency: 'cny' }],
};

function itemPage(item: unknown): string {
  return `<!doctype html><html><head><title>${UPSTREAM_SECRET}</title>
<script>window.__secret = "${UPSTREAM_SECRET}"</script>
<script type="application/ld+json">{"@type":"BreadcrumbList","itemListElement":[]}</script>
<script type="application/ld+json">${JSON.stringify(item)}</script>
</head><body>${UPSTREAM_SECRET}</body></html>`;
}

interface Fake {
  readonly port: number;
  readonly requests: string[];
  close(): Promise<void>;
}

/** One marketplace per path prefix; the item id picks the behaviour. */
async function startMarketplace(canaryPort: number): Promise<Fake> {
  const requests: string[] = [];
  const bomb = zlib.gzipSync(Buffer.alloc(32 * 1024 * 1024, 0x20));
  const server = http.createServer((request, response) => {
    const url = request.url ?? '';
    requests.push(url);
    const id = /(\d+)(?:\.json)?$/.exec(url)?.[1] ?? '';
    const html = (status: number, body: string) =>
      response.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(body);
    switch (id) {
      case '1000000001':
        return; // never answers
      case '1000000002':
        response.writeHead(200, { 'content-type': 'text/html' });
        response.end(Buffer.alloc(3 * 1024 * 1024, 0x61));
        return;
      case '1000000003':
        response.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' });
        response.end(bomb);
        return;
      case '1000000004':
        response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam/' }).end();
        return;
      case '1000000005':
        response.writeHead(302, { location: `http://127.0.0.2:${canaryPort}/` }).end();
        return;
      case '1000000006':
        response.writeHead(302, { location: `http://[::1]:${canaryPort}/` }).end();
        return;
      case '1000000007':
        return html(200, `<html><body>${UPSTREAM_SECRET}: no structured data here</body></html>`);
      case '1000000008':
        return html(200, itemPage({ ...ITEM, offers: { price: '8.50', priceCurrency: 'USD' } }));
      case '1000000009':
        return html(500, `<html>${UPSTREAM_SECRET} stack trace at /srv/app.js:12</html>`);
      case '1000000010':
        return html(404, `<html>${UPSTREAM_SECRET} not found</html>`);
      case '1000000011':
        return html(200, itemPage({ ...ITEM, name: '\u202e\u0007 \u200b' }));
      default:
        if (url.startsWith('/jd/')) {
          response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(JD_ITEM));
          return;
        }
        return html(200, itemPage(ITEM));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Canary {
  readonly port: number;
  readonly hits: string[];
  close(): Promise<void>;
}

async function startCanary(): Promise<Canary> {
  const hits: string[] = [];
  const server = net.createServer((socket) => {
    hits.push(socket.localAddress ?? '?');
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen({ host: '::', port: 0, ipv6Only: false }, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const TAOBAO_ID = '6543210987';
const TAOBAO = `https://item.taobao.com/item.htm?id=${TAOBAO_ID}`;
const taobao = (id: string) => `https://item.taobao.com/item.htm?id=${id}`;

let canary: Canary;
let market: Fake;
let closedPort: number;
let test: TestApp;
let shopper: Shopper;

beforeAll(async () => {
  canary = await startCanary();
  market = await startMarketplace(canary.port);
  const closed = await startCanary();
  closedPort = closed.port;
  await closed.close();
  const origin = `http://127.0.0.1:${market.port}`;
  test = await createTestApp(
    {},
    {
      marketplaceFakes: {
        itemUrls: {
          taobao: `${origin}/taobao/item/{id}`,
          tmall: `${origin}/tmall/item/{id}`,
          '1688': `${origin}/1688/offer/{id}`,
          jd: `${origin}/jd/{id}.json`,
          // Nobody listens here: the marketplace is down.
          weidian: `http://127.0.0.1:${closedPort}/weidian/{id}`,
        },
        timeoutMs: 500,
      },
    },
  );
  shopper = await signUp(test);
});
afterAll(async () => {
  await test.close();
  await market.close();
  await canary.close();
});
beforeEach(() => {
  market.requests.length = 0;
});

const resolve = (link: unknown) => shopper.client.post('/v1/links/resolve', { link });

function expectNoUpstreamText(response: { body: string }) {
  expect(response.body).not.toContain(UPSTREAM_SECRET);
  expect(response.body).not.toContain('127.0.0.1');
  expect(response.body).not.toContain(String(market.port));
}

describe('resolving a supported link', () => {
  it('reads title, price, images and options from the item page, cleaned, and nothing else', async () => {
    const response = await resolve(`【淘宝】好物推荐 ${TAOBAO}&spm=a21n57.1&scm=tracking 点击链接直接打开`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({
      marketplace: 'taobao',
      itemId: TAOBAO_ID,
      canonicalUrl: TAOBAO,
      title: 'Linen shirt with two pockets',
      price: 5_990,
      currency: 'CNY',
      images: [
        'https://img.alicdn.com/imgextra/i1/shirt-front.jpg',
        'https://gw.alicdn.com/imgextra/i2/shirt-back.jpg',
      ],
      options: [
        { name: 'Colour', values: ['White', 'Sand', 'Black'] },
        { name: 'Size', values: ['S', 'M', 'L', 'X'.repeat(100)] },
      ],
    });
    expectNoUpstreamText(response);
    // Only the item id travelled: the fake saw its own template, none of the pasted tracking parameters.
    expect(market.requests).toEqual([`/taobao/item/${TAOBAO_ID}`]);
  });

  it('reads a JSON document as well, with numeric prices and the JD image host only', async () => {
    const response = await resolve('https://item.m.jd.com/product/100012043978.html');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      marketplace: 'jd',
      itemId: '100012043978',
      canonicalUrl: 'https://item.jd.com/100012043978.html',
      title: '蓝牙耳机 降噪',
      price: 19_900,
      images: ['https://img10.360buyimg.com/n1/headphones.jpg'],
      options: [],
    });
  });

  it('what it answers can be ordered as it is', async () => {
    const item = (await resolve(TAOBAO)).json();
    const order = await shopper.client.post('/v1/orders', {
      items: [
        {
          link: item.canonicalUrl,
          title: item.title,
          options: `${item.options[0].name}: ${item.options[0].values[0]}`,
          quantity: 2,
          unitPrice: item.price,
        },
      ],
      domesticShipping: 0,
    });
    expect(order.statusCode, order.body).toBe(201);
    expect(order.json()).toMatchObject({ itemsTotal: 11_980 });
  });

  it('is for shoppers: no credentials is 401, staff are refused', async () => {
    expect(expectProblem(await test.anonymous.post('/v1/links/resolve', { link: TAOBAO }), 401).code).toBe(
      'IDENTITY_UNAUTHENTICATED',
    );
    const warehouse = await staffClient(test, 'warehouse');
    expectProblem(await warehouse.post('/v1/links/resolve', { link: TAOBAO }), 403);
    expect(market.requests).toEqual([]);
  });
});

describe('links that are not supported marketplace items', () => {
  it.each([
    'http://127.0.0.1:8080/taobao/item/1',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/item.htm?id=1',
    'http://2130706433/item.htm?id=1',
    'https://evil.test/item.htm?id=6543210987',
    'https://item.taobao.com.evil.test/item.htm?id=6543210987',
    'https://m.tb.cn/h.5Xyz?sm=abc',
    'https://item.taobao.com/item.htm',
    'file:///etc/passwd',
    'not a link at all',
  ])('%s is a 422 naming body.link, and nothing is fetched', async (link) => {
    const problem = expectProblem(await resolve(link), 422);
    expect(problem.code).toBe('COMMERCE_LINK_REFUSED');
    expect(problem.errors?.[0]?.field).toBe('body.link');
    expect(market.requests).toEqual([]);
    expect(canary.hits).toEqual([]);
  });
});

describe('when the marketplace fails, the answer says so and never carries its body', () => {
  it('a marketplace that is down is 502 COMMERCE_MARKETPLACE_UNAVAILABLE', async () => {
    const response = await resolve('https://weidian.com/item.html?itemID=2345678901');
    expect(expectProblem(response, 502).code).toBe('COMMERCE_MARKETPLACE_UNAVAILABLE');
    expectNoUpstreamText(response);
    expect(response.body).not.toContain(String(closedPort));
  });

  it('a marketplace that does not answer in time is 504 COMMERCE_MARKETPLACE_TIMEOUT', async () => {
    const started = Date.now();
    const response = await resolve(taobao('1000000001'));
    expect(expectProblem(response, 504).code).toBe('COMMERCE_MARKETPLACE_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it.each([
    ['an oversized page', '1000000002'],
    ['a gzip bomb', '1000000003'],
  ])('%s is refused: 502 COMMERCE_ITEM_UNREADABLE', async (_name, id) => {
    const response = await resolve(taobao(id));
    expect(expectProblem(response, 502).code).toBe('COMMERCE_ITEM_UNREADABLE');
  });

  it.each([
    ['an error page', '1000000009'],
    ['a missing item', '1000000010'],
  ])(
    '%s is 502 COMMERCE_MARKETPLACE_UNAVAILABLE without its body, in the answer or the logs',
    async (_n, id) => {
      const response = await resolve(taobao(id));
      expect(expectProblem(response, 502).code).toBe('COMMERCE_MARKETPLACE_UNAVAILABLE');
      expectNoUpstreamText(response);
      expect(test.logs.join('\n')).not.toContain(UPSTREAM_SECRET);
    },
  );

  it.each([
    ['no structured data', '1000000007'],
    ['a price in another currency', '1000000008'],
    ['a title made only of invisible characters', '1000000011'],
  ])('%s is 502 COMMERCE_ITEM_UNREADABLE without its body', async (_name, id) => {
    const response = await resolve(taobao(id));
    expect(expectProblem(response, 502).code).toBe('COMMERCE_ITEM_UNREADABLE');
    expectNoUpstreamText(response);
  });

  it.each([
    ['the metadata service', '1000000004'],
    ['another loopback address', '1000000005'],
    ['IPv6 loopback', '1000000006'],
  ])('a redirect to %s is refused (502) and nothing reaches it', async (_name, id) => {
    const response = await resolve(taobao(id));
    expect(expectProblem(response, 502).code).toBe('COMMERCE_MARKETPLACE_UNAVAILABLE');
    expect(market.requests).toEqual([`/taobao/item/${id}`]);
    expect(canary.hits).toEqual([]);
  });
});

describe('any link', () => {
  it('answers 200, 400, 422, 502 or 504 as a problem, never a 500, and never reaches the canary', async () => {
    const links = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc
        .tuple(
          fc.constantFrom(
            'https://item.taobao.com/item.htm?id=',
            'https://item.jd.com/',
            'weidian.com/item.html?itemID=',
          ),
          fc.oneof(
            fc.bigInt({ min: 1n, max: 10n ** 19n }).map(String),
            fc.constantFrom('1000000001', '1000000005'),
          ),
          fc.string({ maxLength: 20 }),
        )
        .map(([prefix, id, tail]) => `${prefix}${id}${tail}`),
    );
    await fc.assert(
      fc.asyncProperty(links, async (link) => {
        const response = await resolve(link);
        expect([200, 400, 422, 502, 504], `${link}: ${response.body}`).toContain(response.statusCode);
        if (response.statusCode !== 200) expectProblem(response, response.statusCode);
        expectNoUpstreamText(response);
      }),
      { numRuns: 60 },
    );
    expect(canary.hits).toEqual([]);
  });
});
