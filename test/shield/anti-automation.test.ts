import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceKey } from '../../src/modules/shield/index.ts';
import type { DeclaredRoute } from '../../src/platform/http/access.ts';
import { createTestApp, expectProblem, signUp, type TestApp, uniqueEmail } from '../helpers/test-app.ts';

// Anti-automation through HTTP: sources that detection marks as automated must solve a proof of work on
// the credential routes, and no route lets a shopper look anyone up by e-mail or phone.

const DIFFICULTY = 8;

interface Offer {
  readonly kind: string;
  readonly token: string;
  readonly difficulty: number;
  readonly expiresAt: string;
}

function zeroBits(value: string): number {
  const digest = createHash('sha256').update(value).digest();
  let bits = 0;
  for (const byte of digest) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24;
    bits += 8;
  }
  return bits;
}

/** What a client does with an offer: tries nonces until the hash shows the work (about 2^difficulty). */
function solve(offer: Offer, from = 0): string {
  for (let nonce = from; ; nonce++) {
    if (zeroBits(`${offer.token}:${nonce}`) >= offer.difficulty) return `${offer.token}:${nonce}`;
  }
}

/** A nonce that does not show the work: what a client that skips the hashing would send. */
function unsolved(offer: Offer): string {
  for (let nonce = 0; ; nonce++) {
    if (zeroBits(`${offer.token}:${nonce}`) < offer.difficulty) return `${offer.token}:${nonce}`;
  }
}

function testClock() {
  const clock = {
    offsetMs: 0,
    now: () => new Date(Date.now() + clock.offsetMs),
    advance(seconds: number) {
      clock.offsetMs += seconds * 1000;
    },
  };
  return clock;
}

describe('challenges for sources marked as automated', () => {
  let test: TestApp;
  const clock = testClock();
  const events: { name: string; network: string }[] = [];
  beforeAll(async () => {
    test = await createTestApp({ BULWARK_CHALLENGE_DIFFICULTY: String(DIFFICULTY) }, { clock });
    for (const name of [
      'shield.challenge_required',
      'shield.challenge_failed',
      'shield.challenge_passed',
    ] as const) {
      test.container.events.on(name, (event) => events.push({ name, network: event.network }));
    }
  });
  afterAll(() => test.close());

  const login = (ip: string, body: object, answer?: string) =>
    test.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: body,
      remoteAddress: ip,
      headers: answer === undefined ? {} : { 'bulwark-challenge': answer },
    });

  function offerOf(response: LightMyRequestResponse, code: string): Offer {
    const problem = expectProblem(response, 403) as unknown as { code: string; challenge: Offer };
    expect(problem.code).toBe(code);
    expect(problem.challenge.kind).toBe('proof-of-work');
    expect(problem.challenge.difficulty).toBe(DIFFICULTY);
    return problem.challenge;
  }

  it('a marked network must prove work before logging in; others never see a challenge', async () => {
    const shopper = await signUp(test);
    const right = { email: shopper.email, password: shopper.password };
    await test.container.suspects.mark('198.51.100.0/24', 'credential stuffing', 600);

    const asked = offerOf(await login('198.51.100.7', right), 'SHIELD_CHALLENGE_REQUIRED');
    expect(events).toContainEqual({ name: 'shield.challenge_required', network: '198.51.100.0/24' });
    // Next door, and any other address, logs in as before.
    expect((await login('198.51.101.7', right)).statusCode).toBe(200);

    // Skipping the work, or solving for another address of the same network, is refused with a new offer.
    offerOf(await login('198.51.100.7', right, unsolved(asked)), 'SHIELD_CHALLENGE_FAILED');
    const forOther = offerOf(await login('198.51.100.8', right), 'SHIELD_CHALLENGE_REQUIRED');
    offerOf(await login('198.51.100.7', right, solve(forOther)), 'SHIELD_CHALLENGE_FAILED');

    const answer = solve(asked);
    const passed = await login('198.51.100.7', right, answer);
    expect(passed.statusCode).toBe(200);
    expect(events).toContainEqual({ name: 'shield.challenge_passed', network: '198.51.100.0/24' });
    // One answer, one request: a replay needs new work.
    offerOf(await login('198.51.100.7', right, answer), 'SHIELD_CHALLENGE_FAILED');
    expect(events).toContainEqual({ name: 'shield.challenge_failed', network: '198.51.100.0/24' });

    // A signed-in shopper on that network reads its own data without a challenge: only the costly
    // public routes (sign-up, login, reset) are what bots aim at.
    const me = await test.app.inject({
      method: 'GET',
      url: '/v1/me',
      remoteAddress: '198.51.100.7',
      headers: { authorization: `Bearer ${(passed.json() as { accessToken: string }).accessToken}` },
    });
    expect(me.statusCode).toBe(200);

    await test.container.suspects.clear('198.51.100.0/24');
    expect((await login('198.51.100.7', right)).statusCode).toBe(200);
  });

  it('an answer cannot be made easier, stretched past its expiry, or forged', async () => {
    await test.container.suspects.mark('2001:db8:77:1::/64', 'sign-up bot', 600);
    const ip = '2001:db8:77:1::9';
    const body = { email: uniqueEmail('nobody'), password: 'not the password at all' };
    const offer = offerOf(await login(ip, body), 'SHIELD_CHALLENGE_REQUIRED');

    // The difficulty is inside the tagged token: lowering it breaks the tag.
    const [version, expires, , random, tag] = offer.token.split('.');
    const easier = { ...offer, token: [version, expires, '1', random, tag].join('.'), difficulty: 1 };
    offerOf(await login(ip, body, solve(easier)), 'SHIELD_CHALLENGE_FAILED');
    // So is the expiry; and a token the server never made has no valid tag.
    const later = {
      ...offer,
      token: [version, String(Number(expires) + 3_600_000), DIFFICULTY, random, tag].join('.'),
    };
    offerOf(await login(ip, body, solve(later)), 'SHIELD_CHALLENGE_FAILED');
    const forged = { ...offer, token: [version, expires, DIFFICULTY, random, 'A'.repeat(43)].join('.') };
    offerOf(await login(ip, body, solve(forged)), 'SHIELD_CHALLENGE_FAILED');

    // Solved honestly but after the offer lapsed (two minutes): refused.
    const answer = solve(offer);
    clock.advance(121);
    offerOf(await login(ip, body, answer), 'SHIELD_CHALLENGE_FAILED');
    clock.advance(-121);

    // In time, the guess itself is answered as any guess is: 401, nothing about the account.
    const fresh = offerOf(await login(ip, body), 'SHIELD_CHALLENGE_REQUIRED');
    expect((await login(ip, body, solve(fresh))).statusCode).toBe(401);
  });

  it('fast-check: any header value is a 403 with a new offer, never a 500 or a pass', async () => {
    await test.container.suspects.mark('192.0.2.55', 'scripted look-ups', 600);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.stringMatching(
            /^pow1\.[0-9]{1,15}\.[0-9]{1,2}\.[A-Za-z0-9_-]{20,64}\.[A-Za-z0-9_-]{43}:[A-Za-z0-9_-]{1,64}$/,
          ),
        ),
        async (header) => {
          const response = await test.app.inject({
            method: 'POST',
            url: '/v1/auth/password-reset',
            payload: { email: uniqueEmail('reset') },
            remoteAddress: '192.0.2.55',
            headers: { 'bulwark-challenge': header },
          });
          // Header values a client cannot send (control characters) are refused by the HTTP layer as 400.
          expect([400, 403]).toContain(response.statusCode);
          if (response.statusCode === 403) offerOf(response, 'SHIELD_CHALLENGE_FAILED');
        },
      ),
      { numRuns: 60 },
    );
    // The address mark holds for that one address, not its neighbours.
    const neighbour = await test.app.inject({
      method: 'POST',
      url: '/v1/auth/password-reset',
      payload: { email: uniqueEmail('reset') },
      remoteAddress: '192.0.2.56',
    });
    expect(neighbour.statusCode).toBe(202);
  });

  it('marks name an address or its /24 or /64 exactly, and last no longer than a week', async () => {
    expect(sourceKey('203.0.113.9')).toBe('203.0.113.9');
    expect(sourceKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(sourceKey('2001:DB8:0:0::1')).toBe('2001:db8::1');
    expect(sourceKey('2001:db8:5:6::/64')).toBe('2001:db8:5:6::/64');
    for (const bad of [
      '203.0.113.9/24',
      '203.0.113.0/16',
      '2001:db8::/48',
      'example.com',
      '1.2.3.4/24/1',
      '',
    ]) {
      expect(() => sourceKey(bad), bad).toThrow(/24|64|address/);
    }
    await expect(test.container.suspects.mark('203.0.113.0/24', 'x', 8 * 24 * 3600)).rejects.toThrow(
      /seconds/,
    );
    // A shorter mark later does not shorten a longer one.
    const long = await test.container.suspects.mark('203.0.114.0/24', 'first', 3600);
    const again = await test.container.suspects.mark('203.0.114.0/24', 'second', 60);
    expect(again.until.getTime()).toBe(long.until.getTime());
    expect(again.reason).toBe('second');
  });

  it('fast-check: a network mark covers exactly the addresses of that /24', async () => {
    await fc.assert(
      fc.asyncProperty(fc.ipV4(), fc.ipV4(), async (marked, probe) => {
        const network = `${marked.split('.').slice(0, 3).join('.')}.0/24`;
        await test.container.suspects.mark(network, 'property', 60);
        const inside = probe.split('.').slice(0, 3).join('.') === marked.split('.').slice(0, 3).join('.');
        expect(await test.container.suspects.isSuspect(probe)).toBe(inside);
        expect(await test.container.suspects.isSuspect(marked)).toBe(true);
        await test.container.suspects.clear(network);
      }),
      { numRuns: 40 },
    );
  });
});

describe('no look-ups of other people by e-mail or phone for shoppers', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp();
  });
  afterAll(() => test.close());

  // Every route a shopper (or anyone without a staff permission) can call that takes an e-mail address:
  // each answers the same whether or not an account has it (test/identity covers each answer).
  const OWN_OR_ENUMERATION_SAFE = [
    'POST /v1/auth/register',
    'POST /v1/auth/token',
    'POST /v1/auth/login',
    'POST /v1/auth/password-reset',
    'PATCH /v1/me',
    'POST /v1/me/email',
    'POST /v1/me/addresses',
    'PATCH /v1/me/addresses/:id',
  ];

  const propertyNames = (schema: unknown): string[] => {
    const properties = (schema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
    return Object.keys(properties);
  };
  const contactLike = (name: string) => /e-?mail|phone|mobile|contact|login|username/i.test(name);
  const openToShoppers = (route: DeclaredRoute) => !('permission' in route.access);

  it('no shopper or public route takes an e-mail or phone in its path or query', () => {
    const offending = test.app.declaredRoutes
      .filter(openToShoppers)
      .filter((route) => {
        const schema = route.schema as { querystring?: unknown; params?: unknown } | undefined;
        return [...propertyNames(schema?.querystring), ...propertyNames(schema?.params)].some(contactLike);
      })
      .map((route) => `${route.method} ${route.url}`);
    expect(offending).toEqual([]);
  });

  it('a shopper or public route takes an e-mail or phone in its body only where it is its own or answered alike', () => {
    const taking = test.app.declaredRoutes
      .filter(openToShoppers)
      .filter((route) =>
        propertyNames((route.schema as { body?: unknown } | undefined)?.body).some(contactLike),
      )
      .map((route) => `${route.method} ${route.url}`);
    expect(taking.sort()).toEqual([...OWN_OR_ENUMERATION_SAFE].sort());
  });

  it('the staff look-up by e-mail refuses shoppers and answers unknown and other people alike for them', async () => {
    const shopper = await signUp(test);
    const other = await signUp(test);
    for (const email of [other.email, uniqueEmail('nobody')]) {
      const response = await shopper.client.get(`/v1/staff/customers?email=${encodeURIComponent(email)}`);
      expect(response.statusCode).toBe(403);
      expect(response.body).not.toContain(other.email);
    }
  });
});
