import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { createContainer } from '../../src/container.ts';
import { createBuckets, ROUTE_COSTS } from '../../src/modules/shield/index.ts';
import { ephemeralRootKey } from '../../src/modules/vault/index.ts';
import { EventBus } from '../../src/platform/events.ts';
import { buildServer } from '../../src/server.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { freePort } from '../helpers/spawn-bulwark.ts';
import { createTestApp, expectProblem, signUp, type TestApp, uniqueEmail } from '../helpers/test-app.ts';

// The shield's layered limits, driven through HTTP with tight budgets: the general suite runs with the
// NODE_ENV=test defaults (1000 times production's), so these tests set every budget they rely on.

const PASSWORD = 'correct horse battery staple';

interface Policy {
  readonly name: string;
  readonly params: Record<string, string>;
}

/** Parses a RateLimit or RateLimit-Policy field (a Structured Field List of strings with parameters). */
function parseField(value: unknown): Policy[] {
  expect(typeof value).toBe('string');
  return String(value)
    .split(',')
    .map((item) => {
      const [head = '', ...params] = item.trim().split(';');
      expect(head).toMatch(/^"[a-z]+"$/);
      const parsed: Record<string, string> = {};
      for (const param of params) {
        const [key = '', val = ''] = param.split('=');
        expect(key).toMatch(/^[a-z][a-z0-9-]*$/);
        expect(val).toMatch(/^\d+$/);
        parsed[key] = val;
      }
      return { name: head.slice(1, -1), params: parsed };
    });
}

const policyOf = (response: LightMyRequestResponse) => parseField(response.headers['ratelimit-policy']);
const limitOf = (response: LightMyRequestResponse) => parseField(response.headers.ratelimit);
const remaining = (response: LightMyRequestResponse, name: string) =>
  Number(limitOf(response).find((p) => p.name === name)?.params.r);

function send(test: TestApp, options: InjectOptions & { remoteAddress?: string }) {
  return test.app.inject(options);
}
const get = (test: TestApp, url: string, remoteAddress = '127.0.0.1', headers: Record<string, string> = {}) =>
  send(test, { method: 'GET', url, remoteAddress, headers });

function expectLimited(response: LightMyRequestResponse, policy: string, maxRetryAfter: number) {
  const problem = expectProblem(response, 429) as { code: string; 'violated-policies'?: string[] };
  expect(problem.code).toBe('SHIELD_RATE_LIMITED');
  expect(problem['violated-policies']).toContain(policy);
  const retryAfter = Number(response.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxRetryAfter);
  // The refusing policy is in both fields, with nothing left, and Retry-After is not before its end.
  const refused = limitOf(response).find((p) => p.name === policy);
  expect(refused?.params.r).toBe('0');
  expect(retryAfter).toBeGreaterThanOrEqual(Number(refused?.params.t));
  expect(policyOf(response).map((p) => p.name)).toContain(policy);
  return problem;
}

describe('configuration', () => {
  it('budgets are points/seconds; "off", zero points and zero windows stop the start with one line', () => {
    for (const value of ['off', '0/60', '10/0', '10/90000', '10', '-1/60', '1e3/60']) {
      let error: unknown;
      try {
        loadConfig({ BULWARK_RATE_LIMIT_IP: value });
      } catch (caught) {
        error = caught;
      }
      expect(error, value).toBeInstanceOf(ConfigError);
      expect(String((error as Error).message)).toMatch(/^BULWARK_RATE_LIMIT_IP: must be points\/seconds/);
      expect(String((error as Error).message)).not.toContain('\n');
    }
    expect(loadConfig({ BULWARK_RATE_LIMIT_ACCOUNT: '5/600' }).rateLimits.account).toEqual({
      points: 5,
      durationSeconds: 600,
    });
  });

  it('production and development get the documented defaults; NODE_ENV=test only multiplies the points', () => {
    const production = loadConfig({
      NODE_ENV: 'production',
      BULWARK_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    }).rateLimits;
    expect(production).toEqual({
      ip: { points: 600, durationSeconds: 60 },
      network: { points: 3000, durationSeconds: 60 },
      global: { points: 5000, durationSeconds: 1 },
      principal: { points: 1200, durationSeconds: 60 },
      route: { points: 120, durationSeconds: 60 },
      account: { points: 20, durationSeconds: 900 },
      listing: { points: 5000, durationSeconds: 3600 },
    });
    expect(loadConfig({}).rateLimits).toEqual(production);
    const test = loadConfig({ NODE_ENV: 'test' }).rateLimits;
    expect(test.ip).toEqual({ points: 600_000, durationSeconds: 60 });
    expect(test.account).toEqual({ points: 20_000, durationSeconds: 900 });
  });

  it('a route budget too small for the dearest route refuses to start, naming the variable', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-shield-'));
    const config = loadConfig({
      NODE_ENV: 'test',
      BULWARK_DATA_DIR: dataDir,
      BULWARK_RATE_LIMIT_ROUTE: '10/60',
    });
    const container = await createContainer(config, { inMemory: true, rootKey: ephemeralRootKey() });
    try {
      await expect(buildServer(container, { logger: false })).rejects.toThrow(
        /^BULWARK_RATE_LIMIT_ROUTE: must allow one call of POST \/v1\/auth\/register, which costs 20 points$/,
      );
    } finally {
      await container.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('before authentication: per address, per network, global ceiling (in memory, no REDIS_URL)', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp({ BULWARK_RATE_LIMIT_IP: '5/60', BULWARK_RATE_LIMIT_NETWORK: '8/60' });
  });
  afterAll(() => test.close());

  it('an address gets its budget, with RateLimit fields on every answer, then 429 with Retry-After', async () => {
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await get(test, '/healthz', '192.0.2.10'));
    answers.forEach((response, i) => {
      expect(response.statusCode).toBe(200);
      expect(policyOf(response)).toContainEqual({ name: 'ip', params: { q: '5', w: '60' } });
      expect(policyOf(response)).toContainEqual({ name: 'network', params: { q: '8', w: '60' } });
      const ip = limitOf(response).find((p) => p.name === 'ip');
      expect(ip?.params.r).toBe(String(4 - i));
      expect(Number(ip?.params.t)).toBeGreaterThanOrEqual(1);
      expect(Number(ip?.params.t)).toBeLessThanOrEqual(60);
      // Operational capacity and other people's traffic are not shown on an allowed answer.
      expect(limitOf(response).map((p) => p.name)).not.toContain('global');
      expect(limitOf(response).map((p) => p.name)).not.toContain('account');
    });
    const refused = await get(test, '/healthz', '192.0.2.10');
    expectLimited(refused, 'ip', 60);
    expect(refused.headers['x-request-id']).toMatch(/^req_/);
    // Every route, public or not, draws on the same address budget; another address has its own.
    expectLimited(await get(test, '/v1/me', '192.0.2.10'), 'ip', 60);
    expect((await get(test, '/healthz', '192.0.2.11')).statusCode).toBe(200);
  });

  it('addresses of one /24 share the network budget; another /24 is untouched', async () => {
    const statuses = [];
    for (let i = 1; i <= 9; i++) statuses.push((await get(test, '/healthz', `198.51.100.${i}`)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 429]);
    expectLimited(await get(test, '/healthz', '198.51.100.200'), 'network', 60);
    expect((await get(test, '/healthz', '198.51.101.1')).statusCode).toBe(200);
  });

  it('IPv6 addresses of one /64 share a network budget, and one address has one bucket however written', async () => {
    const prefix = '2001:db8:aaaa:1';
    for (let i = 1; i <= 8; i++)
      expect((await get(test, '/healthz', `${prefix}::${i}`)).statusCode).toBe(200);
    expectLimited(await get(test, '/healthz', `${prefix}:ffff:ffff:ffff:ffff`), 'network', 60);
    expect((await get(test, '/healthz', '2001:db8:aaaa:2::1')).statusCode).toBe(200);

    for (const spelling of [
      '2001:db8:bbbb::7',
      '2001:DB8:BBBB:0::7',
      '2001:db8:bbbb:0:0:0:0:7',
      '2001:db8:bbbb::7',
    ]) {
      expect((await get(test, '/healthz', spelling)).statusCode).toBe(200);
    }
    expect(remaining(await get(test, '/healthz', '2001:0db8:bbbb::0007'), 'ip')).toBe(0);
    expectLimited(await get(test, '/healthz', '2001:db8:bbbb::7'), 'ip', 60);
  });

  it('X-Forwarded-For from a peer that is not a trusted proxy is ignored', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      const response = await get(test, '/healthz', '203.0.113.50', { 'x-forwarded-for': `100.64.0.${i}` });
      statuses.push(response.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });
});

describe('the global ceiling', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp({ BULWARK_RATE_LIMIT_GLOBAL: '6/60' });
  });
  afterAll(() => test.close());

  it('holds across addresses and networks, and is shown only when it refuses', async () => {
    for (let i = 0; i < 6; i++) {
      const response = await get(test, '/healthz', `10.${i}.0.1`);
      expect(response.statusCode).toBe(200);
      expect(limitOf(response).map((p) => p.name)).toEqual(['ip', 'network', 'route']);
    }
    const refused = await get(test, '/healthz', '10.99.0.1');
    expectLimited(refused, 'global', 60);
    expect(policyOf(refused)).toContainEqual({ name: 'global', params: { q: '6', w: '60' } });
  });
});

describe('trusted proxies', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp({ BULWARK_TRUSTED_PROXIES: '127.0.0.1', BULWARK_RATE_LIMIT_IP: '2/60' });
  });
  afterAll(() => test.close());

  it('the client address comes from X-Forwarded-For only when the peer is a trusted proxy', async () => {
    const viaProxy = (client: string) => get(test, '/healthz', '127.0.0.1', { 'x-forwarded-for': client });
    expect((await viaProxy('192.0.2.1')).statusCode).toBe(200);
    expect((await viaProxy('192.0.2.1')).statusCode).toBe(200);
    expectLimited(await viaProxy('192.0.2.1'), 'ip', 60);
    // A client cannot pick its address by prepending its own entries: the proxy's own entry counts.
    expectLimited(await viaProxy('8.8.8.8, 192.0.2.1'), 'ip', 60);
    expect((await viaProxy('192.0.2.2')).statusCode).toBe(200);
    // The same header from an untrusted peer names nobody but that peer.
    const direct = (spoofed: string) => get(test, '/healthz', '203.0.113.9', { 'x-forwarded-for': spoofed });
    expect((await direct('192.0.2.3')).statusCode).toBe(200);
    expect((await direct('192.0.2.4')).statusCode).toBe(200);
    expectLimited(await direct('192.0.2.5'), 'ip', 60);
  });
});

describe('after authentication: per principal, per route, weighted by cost', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp({
      BULWARK_RATE_LIMIT_PRINCIPAL: '40/60',
      BULWARK_RATE_LIMIT_ROUTE: '40/60',
    });
  });
  afterAll(() => test.close());

  it('a costly public route spends its cost per call from the caller address route budget', async () => {
    const guess = (ip: string) =>
      send(test, {
        method: 'POST',
        url: '/v1/auth/token',
        payload: { email: uniqueEmail('guess'), password: PASSWORD },
        remoteAddress: ip,
      });
    for (let i = 0; i < 4; i++) {
      const response = await guess('192.0.2.77');
      expect(response.statusCode).toBe(401);
      expect(policyOf(response)).toContainEqual({
        name: 'route',
        params: { q: '40', w: '60', 'bulwark-cost': '10' },
      });
      expect(remaining(response, 'route')).toBe(30 - 10 * i);
    }
    expectLimited(await guess('192.0.2.77'), 'route', 60);
    // Another route and another address keep their own budgets.
    expect((await get(test, '/healthz', '192.0.2.77')).statusCode).toBe(200);
    expect((await guess('192.0.2.78')).statusCode).toBe(401);
  });

  it('a principal has one budget over every route and every address it calls from', async () => {
    const shopper = await signUp(test);
    const other = await signUp(test);
    const bearer = { authorization: String(shopper.client.headers.authorization) };
    // signUp spent one GET /v1/me; 39 points are left. Routes cost 1 unless listed.
    let left = 39;
    for (let i = 0; i < 19; i++) {
      const response = await get(test, '/v1/me', `10.20.${i}.1`, bearer);
      expect(response.statusCode).toBe(200);
      left -= 1;
      expect(remaining(response, 'principal')).toBe(left);
    }
    for (let i = 0; i < 19; i++) {
      expect((await get(test, '/v1/me/sessions', `10.30.${i}.1`, bearer)).statusCode).toBe(200);
      left -= 1;
    }
    expect(left).toBe(1);
    // A route costing 5 no longer fits in what is left: refused as the principal's, not the route's.
    const parse = await send(test, {
      method: 'POST',
      url: '/v1/links/parse',
      payload: { url: 'https://item.taobao.com/item.htm?id=123456789012' },
      headers: bearer,
      remoteAddress: '10.40.0.1',
    });
    expectLimited(parse, 'principal', 60);
    expect(policyOf(parse)).toContainEqual({
      name: 'principal',
      params: { q: '40', w: '60', 'bulwark-cost': '5' },
    });
    expect((await get(test, '/v1/me', '10.40.0.2', bearer)).statusCode).toBe(429);
    expect((await other.client.get('/v1/me')).statusCode).toBe(200);
  });
});

describe('listings: rows per principal, however the pages are cut (anti-scraping)', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp({ BULWARK_RATE_LIMIT_LISTING: '100/3600' });
  });
  afterAll(() => test.close());

  it('every paged listing spends the rows it asks for from one budget; past it, 429 until the window ends', async () => {
    const shopper = await signUp(test);
    const bearer = { authorization: String(shopper.client.headers.authorization) };
    const page = (url: string, ip: string) => get(test, url, ip, bearer);
    // The largest pages a scraper would ask for, from a new address each time: the budget is the person's.
    const first = await page('/v1/orders?limit=40', '10.50.0.1');
    expect(first.statusCode).toBe(200);
    expect(policyOf(first)).toContainEqual({
      name: 'listing',
      params: { q: '100', w: '3600', 'bulwark-cost': '40' },
    });
    expect(remaining(first, 'listing')).toBe(60);
    // Another listing draws on the same budget; a page without `limit` costs the default page size (20).
    expect(remaining(await page('/v1/parcels?limit=30', '10.50.1.1'), 'listing')).toBe(30);
    expect(remaining(await page('/v1/wallet/transactions', '10.50.2.1'), 'listing')).toBe(10);
    expectLimited(await page('/v1/me/notices?limit=20', '10.50.3.1'), 'listing', 3600);
    expectLimited(await page('/v1/orders?limit=1', '10.50.4.1'), 'listing', 3600);
    // Reading one's own profile is not a listing; another shopper has a whole budget.
    const me = await page('/v1/me', '10.50.5.1');
    expect(me.statusCode).toBe(200);
    expect(policyOf(me).map((p) => p.name)).not.toContain('listing');
    const other = await signUp(test);
    expect((await other.client.get('/v1/orders?limit=100')).statusCode).toBe(200);
  });
});

describe('per target account: login and reset guesses from many addresses', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp({ BULWARK_TRUSTED_PROXIES: '127.0.0.1', BULWARK_RATE_LIMIT_ACCOUNT: '4/900' });
  });
  afterAll(() => test.close());

  const fromBotnet = (i: number) => ({
    'x-forwarded-for': `100.${64 + (i % 50)}.${i % 250}.${1 + (i % 200)}`,
  });
  const login = (email: string, password: string, i: number) =>
    send(test, {
      method: 'POST',
      url: '/v1/auth/token',
      payload: { email, password },
      headers: fromBotnet(i),
      remoteAddress: '127.0.0.1',
    });

  it('the account budget holds whatever address each guess comes from, for known and unknown e-mails alike', async () => {
    // Made without HTTP, so no sign-up or login has spent any of its budget yet.
    const victim = { email: uniqueEmail('victim') };
    await test.container.identity.accounts.registerShopper({
      email: victim.email,
      password: PASSWORD,
      fullName: 'Test Shopper',
      country: 'PL',
    });
    const unknown = uniqueEmail('nobody');
    for (const email of [victim.email, unknown]) {
      const answers = [];
      for (let i = 0; i < 12; i++) answers.push(await login(email, `wrong password ${i}`, i + 100));
      expect(answers.slice(0, 4).map((r) => r.statusCode)).toEqual([401, 401, 401, 401]);
      for (const refused of answers.slice(4)) expectLimited(refused, 'account', 900);
      // The account's budget is never shown on an allowed answer (it would show others' attempts).
      for (const allowed of answers.slice(0, 4)) {
        expect(limitOf(allowed).map((p) => p.name)).not.toContain('account');
      }
    }
    // A password reset for the same account draws on the same budget; another account is untouched.
    const reset = await send(test, {
      method: 'POST',
      url: '/v1/auth/password-reset',
      payload: { email: victim.email },
      headers: fromBotnet(7),
      remoteAddress: '127.0.0.1',
    });
    expectLimited(reset, 'account', 900);
    // A sign-up and its first login spent 2 of the bystander's 4; the third call is still answered.
    const bystander = await signUp(test);
    expect((await login(bystander.email, bystander.password, 3)).statusCode).toBe(200);
    // Letter case does not make another account.
    expectLimited(await login(victim.email.toUpperCase(), 'x-wrong-password-x', 5), 'account', 900);
  });
});

describe('route costs', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp();
  });
  afterAll(() => test.close());

  it('every entry of the cost table names a registered route', () => {
    const declared = new Set(test.app.declaredRoutes.map((r) => `${r.method} ${r.url}`));
    for (const key of Object.keys(ROUTE_COSTS)) expect(declared, key).toContain(key);
  });
});

describe('fast-check: random request sequences never exceed any key budget', () => {
  let test: TestApp;
  const IP = 24;
  const NETWORK = 40;
  // The smallest route budget the cost table allows (a sign-up costs 20); these routes cost 1.
  const ROUTE = 20;
  beforeAll(async () => {
    test = await createTestApp({
      BULWARK_RATE_LIMIT_IP: `${IP}/3600`,
      BULWARK_RATE_LIMIT_NETWORK: `${NETWORK}/3600`,
      BULWARK_RATE_LIMIT_ROUTE: `${ROUTE}/3600`,
    });
  });
  afterAll(() => test.close());

  const URLS = ['/healthz', '/.well-known/jwks.json', '/no/such/route'] as const;
  // Bursts of one address on one route, so that the route budget is reached too, not only the others.
  const step = fc.tuple(fc.nat(1), fc.nat(1), fc.constantFrom(...URLS), fc.integer({ min: 1, max: 12 }));
  let run = 0;
  const refusals = new Set<string>();

  it('every answer is what a model of the budgets predicts, and no key gets more than its budget', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        run += 1;
        // Fresh networks per run: windows are an hour, so runs must not share keys.
        const network = (n: number) => `10.${(run % 250) + 1}.${(Math.floor(run / 250) % 120) * 2 + n}`;
        const spent = new Map<string, number>();
        const served = new Map<string, number>();
        const bump = (map: Map<string, number>, key: string) => {
          map.set(key, (map.get(key) ?? 0) + 1);
          return map.get(key) as number;
        };
        for (const [n, host, url, times] of steps) {
          const ip = `${network(n)}.${host + 1}`;
          for (let i = 0; i < times; i++) {
            const response = await get(test, url, ip);
            // The address and network layers both spend, then the route layer if both allowed.
            const overIp = bump(spent, `ip ${ip}`) > IP;
            const overNetwork = bump(spent, `network ${network(n)}`) > NETWORK;
            let expected = 200;
            if (overIp || overNetwork) expected = 429;
            else if (url === '/no/such/route') expected = 404;
            else if (bump(spent, `route ${url} ${ip}`) > ROUTE) expected = 429;
            expect(response.statusCode).toBe(expected);
            if (response.statusCode === 429) {
              for (const policy of response.json()['violated-policies']) refusals.add(policy);
            } else {
              expect(bump(served, `ip ${ip}`)).toBeLessThanOrEqual(IP);
              expect(bump(served, `network ${network(n)}`)).toBeLessThanOrEqual(NETWORK);
              if (url !== '/no/such/route') {
                expect(bump(served, `route ${url} ${ip}`)).toBeLessThanOrEqual(ROUTE);
              }
            }
          }
        }
      }),
      // Random sequences, plus one that surely reaches every layer: the route (21st call of one URL), the
      // address (25th call), the network (41st call across two hosts).
      {
        numRuns: 60,
        examples: [
          [
            [
              [0, 0, '/healthz', 12],
              [0, 0, '/healthz', 12],
              [0, 0, '/.well-known/jwks.json', 1],
              [0, 1, '/no/such/route', 12],
              [0, 1, '/no/such/route', 12],
            ],
          ],
        ],
      },
    );
    // The sequences reached every layer they exercise, so the model was tested, not just agreed with.
    expect([...refusals].sort()).toEqual(['ip', 'network', 'route']);
  });
});

describe('memory buckets are bounded', () => {
  it('past the key cap a layer refuses new keys for a second and keeps serving known ones', async () => {
    const limits = loadConfig({ BULWARK_RATE_LIMIT_IP: '3/60' }).rateLimits;
    const buckets = createBuckets({
      limits,
      redisUrl: null,
      events: new EventBus(),
      log: { error() {}, warn() {} },
      maxMemoryKeys: 50,
    });
    for (let i = 0; i < 50; i++) expect((await buckets.consume('ip', `key-${i}`, 1)).allowed).toBe(true);
    const refused = await buckets.consume('ip', 'key-new', 1);
    expect(refused).toMatchObject({ allowed: false, remaining: 0, resetMs: 1000 });
    expect((await buckets.consume('ip', 'key-7', 1)).allowed).toBe(true);
    // Other layers have caps of their own.
    expect((await buckets.consume('network', 'key-new', 1)).allowed).toBe(true);
    expect(buckets.shared).toBe(false);
    await buckets.close();
  });
});

// ---------------------------------------------------------------------------------------------------
// Redis: two nodes share one set of buckets; when Redis dies each node goes on limiting on its own.

async function waitFor(check: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('two nodes sharing one Redis', () => {
  let redis: RedisServer;
  let a: TestApp;
  let b: TestApp;
  const events: { node: string; name: string }[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, BULWARK_RATE_LIMIT_IP: '6/60' };
    a = await createTestApp(env);
    b = await createTestApp(env);
    for (const [node, test] of [
      ['a', a],
      ['b', b],
    ] as const) {
      test.container.events.on('shield.limiter_degraded', (e) => events.push({ node, name: e.name }));
      test.container.events.on('shield.limiter_recovered', (e) => events.push({ node, name: e.name }));
    }
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.kill();
  });

  it('enforce one limit between them, hold it per node when Redis dies, and share again when it returns', async () => {
    // One address alternating between the nodes gets 6 answers in all, not 6 from each.
    const statuses = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await get(i % 2 ? b : a, '/healthz', '192.0.2.200')).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
    expect(remaining(await get(a, '/healthz', '192.0.2.201'), 'ip')).toBe(5);
    expect(remaining(await get(b, '/healthz', '192.0.2.201'), 'ip')).toBe(4);
    expect(events).toEqual([]);

    await redis.kill();
    // Each node still limits, on its own: a fresh address gets 6 per node, never unlimited.
    for (const node of [a, b]) {
      const answers = [];
      for (let i = 0; i < 8; i++) answers.push((await get(node, '/healthz', '192.0.2.202')).statusCode);
      expect(answers).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
      expectLimited(await get(node, '/healthz', '192.0.2.202'), 'ip', 60);
    }
    await waitFor(
      () => events.filter((e) => e.name === 'shield.limiter_degraded').length === 2,
      5_000,
      'degraded',
    );
    // Once per transition, not once per request.
    for (let i = 0; i < 5; i++) await get(a, '/healthz', `192.0.2.${210 + i}`);
    expect(events).toEqual(
      expect.arrayContaining([
        { node: 'a', name: 'shield.limiter_degraded' },
        { node: 'b', name: 'shield.limiter_degraded' },
      ]),
    );
    expect(events).toHaveLength(2);
    expect(a.logs.join('')).toContain('shield.limiter_degraded');

    redis = await startRedis(redis.port);
    await waitFor(
      () => events.filter((e) => e.name === 'shield.limiter_recovered').length === 2,
      15_000,
      'recovered',
    );
    const again = [];
    for (let i = 0; i < 8; i++) again.push((await get(i % 2 ? b : a, '/healthz', '192.0.2.220')).statusCode);
    expect(again).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
  }, 60_000);

  it('a Redis that hangs (connected but silent) is noticed within its command timeout, and limits hold', async () => {
    const hung = await startRedis();
    const test = await createTestApp({ REDIS_URL: hung.url, BULWARK_RATE_LIMIT_IP: '3/60' });
    const seen: string[] = [];
    test.container.events.on('shield.limiter_degraded', (e) => seen.push(`${e.name} ${e.reason}`));
    test.container.events.on('shield.limiter_recovered', (e) => seen.push(e.name));
    try {
      hung.process.kill('SIGSTOP');
      const started = performance.now();
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await get(test, '/healthz', '192.0.2.240')).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);
      // One request waits out the 1 s command timeout; the rest go straight to this node's buckets.
      expect(performance.now() - started).toBeLessThan(4_000);
      expect(seen).toEqual(['shield.limiter_degraded command failed or timed out']);
      hung.process.kill('SIGCONT');
      await waitFor(() => seen.length === 2, 10_000, 'recovered');
      expect(seen[1]).toBe('shield.limiter_recovered');
    } finally {
      hung.process.kill('SIGCONT');
      await test.close();
      await hung.kill();
    }
  });

  it('a Redis that is down at start still leaves a limit, and says so in the log', async () => {
    const closed = await freePort();
    const test = await createTestApp({
      REDIS_URL: `redis://127.0.0.1:${closed}`,
      BULWARK_RATE_LIMIT_IP: '3/60',
    });
    try {
      expect(test.logs.join('')).toContain('shield.limiter_degraded');
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await get(test, '/healthz', '192.0.2.230')).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await test.close();
    }
  });
});
