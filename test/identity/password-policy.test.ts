import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Algorithm, hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { dictionary as commonDictionary } from '@zxcvbn-ts/language-common';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commonPasswordCount,
  createPasswordPolicy,
  isCommonPassword,
} from '../../src/modules/identity/password-policy/index.ts';
import { ARGON2_PARAMS, needsRehash } from '../../src/modules/vault/password-hasher.ts';
import { fetcherFactory } from '../../src/platform/outbound/index.ts';
import {
  createTestApp,
  expectProblem,
  LOOPBACK_FAKES,
  type TestApp,
  uniqueEmail,
} from '../helpers/test-app.ts';

// Passwords that pass every local check (length, list, zxcvbn, own words).
const STRONG = 'velvet otter quarries 917';
const STRONG_TOO = 'lantern-moss-archive-42';

const register = (test: TestApp, password: string, extra: Record<string, unknown> = {}) =>
  test.anonymous.post('/v1/auth/register', {
    email: uniqueEmail(),
    password,
    fullName: 'Test Shopper',
    country: 'PL',
    ...extra,
  });

function expectWeak(response: Awaited<ReturnType<typeof register>>, password: string) {
  const problem = expectProblem(response, 422) as ReturnType<typeof expectProblem> & {
    suggestions?: string[];
  };
  expect(problem.code).toBe('IDENTITY_WEAK_PASSWORD');
  expect(problem.errors).toHaveLength(1);
  expect(problem.errors?.[0]?.field).toBe('body.password');
  expect(problem.errors?.[0]?.message.length).toBeGreaterThan(0);
  // Never echoed, in any JSON escaping.
  expect(response.body).not.toContain(JSON.stringify(password).slice(1, -1));
  return problem;
}

/** Common passwords of sign-up length from zxcvbn's own list that the bundled list also holds. */
const LISTED = commonDictionary['passwords-common'].filter(
  (entry) => /^[\x21-\x7e]{8,128}$/.test(entry) && isCommonPassword(entry),
);

describe('the bundled list of common and breached passwords', () => {
  it('holds at least 100,000 passwords and answers a look-up in microseconds', () => {
    expect(commonPasswordCount()).toBeGreaterThanOrEqual(100_000);
    for (const known of ['password', 'iloveyou1', 'qwertyuiop', '1q2w3e4r5t']) {
      expect(isCommonPassword(known)).toBe(true);
    }
    expect(isCommonPassword(STRONG)).toBe(false);
    const candidates = Array.from({ length: 20_000 }, () => randomBytes(12).toString('base64'));
    const started = process.hrtime.bigint();
    let found = 0;
    for (const candidate of candidates) if (isCommonPassword(candidate)) found += 1;
    const microsEach = Number(process.hrtime.bigint() - started) / 1000 / candidates.length;
    // ~2 µs on a developer machine; the bound only catches an accidental linear scan or re-load.
    expect(microsEach).toBeLessThan(100);
    expect(found).toBe(0);
    expect(LISTED.length).toBeGreaterThan(1000);
  });
});

describe('sign-up password policy', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp();
  });
  afterAll(() => test.close());

  it('names too short and too long passwords for what they are', async () => {
    const short = expectWeak(await register(test, 'Ab3$xyz'), 'Ab3$xyz');
    expect(short.errors?.[0]?.message).toMatch(/too short.*at least 8/);
    const long = expectWeak(await register(test, 'x'.repeat(129)), 'x'.repeat(129));
    expect(long.errors?.[0]?.message).toMatch(/too long.*at most 128/);
  });

  it('refuses a listed password whatever its case or Unicode compatibility form', async () => {
    for (const variant of ['password123', 'PassWord123', 'ｐａｓｓｗｏｒｄ１２３']) {
      const problem = expectWeak(await register(test, variant), variant);
      expect(problem.errors?.[0]?.message).toBe('is found in a list of common and breached passwords');
      expect(problem.suggestions?.length).toBeGreaterThan(0);
    }
  });

  it('refuses what zxcvbn finds guessable, with its warning and suggestions', async () => {
    const problem = expectWeak(await register(test, 'Summer2024!'), 'Summer2024!');
    expect(problem.errors?.[0]?.message).toMatch(/^is too easy to guess: /);
    expect(problem.detail).toMatch(/^The password is too easy to guess\./);
    expect(problem.suggestions?.length).toBeGreaterThan(0);
  });

  it('counts the user’s own name and e-mail address as guessable', async () => {
    // Fine for anyone else, guessable for the person it names.
    const password = 'brzeczyszczykiewicz1';
    expect((await register(test, password)).statusCode).toBe(201);
    const named = { fullName: 'Zofia Brzeczyszczykiewicz' };
    const problem = expectWeak(await register(test, password, named), password);
    expect(problem.errors?.[0]?.message).toMatch(/too easy to guess|own name or e-mail/);

    const alice = { email: `alice-${Date.now()}@example.test`, fullName: 'Alice Kowalska' };
    expectWeak(await register(test, 'alice2024', alice), 'alice2024');
    const joined = expectWeak(await register(test, 'Kowalska.Alice!', alice), 'Kowalska.Alice!');
    expect(joined.errors?.[0]?.message).toBe('is built from your own name or e-mail address');
    expect((await register(test, 'Kowalska.Alice!')).statusCode).toBe(201);
  });

  it('accepts a strong password of any script, with no composition rules', async () => {
    for (const password of [STRONG, 'żółw gęślą jaźń 火山 🐢🐢', 'all lower case words only here']) {
      expect((await register(test, password)).statusCode, password).toBe(201);
    }
  });

  it('staff passwords need 12 characters and the same strength', async () => {
    const staff = (password: string) =>
      test.container.identity.accounts.createStaff({
        email: uniqueEmail('staff'),
        password,
        role: 'support',
        fullName: 'Test Staff',
        country: 'CN',
      });
    await expect(staff('Vq7#mL2!xZ9')).rejects.toMatchObject({
      code: 'IDENTITY_WEAK_PASSWORD',
      errors: [{ field: 'body.password', message: 'is too short: use at least 12 characters' }],
    });
    await expect(staff('password1234')).rejects.toMatchObject({ code: 'IDENTITY_WEAK_PASSWORD' });
    await expect(staff(STRONG_TOO)).resolves.toMatch(/^usr_/);
  });

  it('any listed password of valid length is refused, in any case or width', async () => {
    const fullWidth = (text: string) =>
      [...text].map((c) => String.fromCodePoint((c.codePointAt(0) as number) + 0xfee0)).join('');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...LISTED),
        fc.array(fc.boolean(), { minLength: 128, maxLength: 128 }),
        fc.boolean(),
        async (entry, upper, wide) => {
          const cased = [...entry].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('');
          const password = wide ? fullWidth(cased) : cased;
          const problem = expectWeak(await register(test, password), password);
          expect(problem.errors?.[0]?.message).toBe('is found in a list of common and breached passwords');
        },
      ),
      { numRuns: 60 },
    );
  });

  it('any password is either accepted or refused with a 422 naming body.password, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'binary', minLength: 1, maxLength: 160 }),
          fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 }),
          fc.constantFrom(...LISTED),
        ),
        async (password) => {
          const response = await register(test, password);
          expect([201, 422], response.body).toContain(response.statusCode);
          if (response.statusCode === 422) {
            const problem = expectProblem(response, 422);
            expect(problem.code).toBe('IDENTITY_WEAK_PASSWORD');
            expect(problem.errors?.[0]?.field).toBe('body.password');
            expect(problem.errors?.[0]?.message.trim().length).toBeGreaterThan(0);
            if ([...password].length >= 8) {
              expect(response.body).not.toContain(JSON.stringify(password).slice(1, -1));
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Have I Been Pwned range API, faked on loopback.

const sha1 = (text: string) => createHash('sha1').update(text, 'utf8').digest('hex').toUpperCase();

interface RangeServer {
  readonly url: string;
  readonly requests: { path: string; padding: string | undefined; body: number }[];
  close(): Promise<void>;
}

/** Padding as the real API adds it: random suffixes with count 0, lines ending in CRLF. */
function paddingLines(count: number): string[] {
  return Array.from(
    { length: count },
    () => `${randomBytes(18).toString('hex').slice(0, 35).toUpperCase()}:0`,
  );
}

/**
 * A range server that knows `known` (prefix → suffix:count lines) and answers padding for any other
 * prefix, or never answers at all when `hang` is set.
 */
async function startRangeServer(options: {
  known?: Map<string, string[]>;
  hang?: boolean;
}): Promise<RangeServer> {
  const requests: RangeServer['requests'] = [];
  const server = http.createServer((request, response) => {
    let body = 0;
    request.on('data', (chunk: Buffer) => {
      body += chunk.length;
    });
    request.on('end', () => {
      requests.push({ path: request.url ?? '', padding: request.headers['add-padding'] as string, body });
      if (options.hang) return;
      const prefix = (request.url ?? '').split('/').pop() ?? '';
      const lines = [...(options.known?.get(prefix) ?? []), ...paddingLines(40)];
      response.writeHead(200, { 'content-type': 'text/plain' }).end(lines.join('\r\n'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/range/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('the optional Have I Been Pwned check', () => {
  const PWNED = 'quiet harbour lanterns 58';
  const PADDED_ONLY = 'copper meadow violins 31';
  let range: RangeServer;
  let test: TestApp;
  beforeAll(async () => {
    const pwned = sha1(PWNED);
    const padded = sha1(PADDED_ONLY);
    range = await startRangeServer({
      known: new Map([
        [pwned.slice(0, 5), [`${pwned.slice(5)}:2113`]],
        // A padding entry that happens to carry the password's suffix is not a breach.
        [padded.slice(0, 5), [`${padded.slice(5)}:0`]],
      ]),
    });
    test = await createTestApp({ BULWARK_HIBP_URL: range.url, BULWARK_HIBP_TIMEOUT_MS: '2000' });
  });
  afterAll(async () => {
    await test.close();
    await range.close();
  });

  it('refuses a password the range API knows, sending only five hex digits of its SHA-1', async () => {
    const problem = expectWeak(await register(test, PWNED), PWNED);
    expect(problem.errors?.[0]?.message).toBe('has appeared in a known data breach');
    const request = range.requests.at(-1);
    expect(request).toEqual({ path: `/range/${sha1(PWNED).slice(0, 5)}`, padding: 'true', body: 0 });
    expect(test.logs.join('\n')).not.toContain(PWNED);
  });

  it('accepts a password whose only match is a zero-count padding line, or that is not listed', async () => {
    expect((await register(test, PADDED_ONLY)).statusCode).toBe(201);
    expect((await register(test, STRONG)).statusCode).toBe(201);
  });

  it('local checks come first: a listed password never reaches the range API', async () => {
    const before = range.requests.length;
    expectWeak(await register(test, 'password123'), 'password123');
    expect(range.requests.length).toBe(before);
  });
});

describe('when the range API hangs or is down, sign-up still succeeds', () => {
  let hanging: RangeServer;
  beforeAll(async () => {
    hanging = await startRangeServer({ hang: true });
  });
  afterAll(() => hanging.close());

  it('a hanging range API costs at most the timeout, and the password is accepted', async () => {
    const test = await createTestApp({ BULWARK_HIBP_URL: hanging.url, BULWARK_HIBP_TIMEOUT_MS: '300' });
    try {
      const started = Date.now();
      expect((await register(test, STRONG)).statusCode).toBe(201);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(hanging.requests.length).toBeGreaterThan(0);
    } finally {
      await test.close();
    }
  });

  it('a range API nobody listens on does not block sign-up', async () => {
    const gone = await startRangeServer({});
    await gone.close();
    const test = await createTestApp({ BULWARK_HIBP_URL: gone.url, BULWARK_HIBP_TIMEOUT_MS: '2000' });
    try {
      expect((await register(test, STRONG)).statusCode).toBe(201);
    } finally {
      await test.close();
    }
  });

  it('goes through the SSRF-safe fetcher: a range API on loopback is never asked without the test allowance', async () => {
    const before = hanging.requests.length;
    const warnings: string[] = [];
    const policy = createPasswordPolicy({
      config: { hibpRangeUrl: hanging.url, hibpTimeoutMs: 2000 },
      log: { warn: (fields, message) => warnings.push(JSON.stringify({ ...fields, message })) },
    });
    const started = Date.now();
    await expect(policy.check(STRONG_TOO, { min: 8, max: 128 }, [])).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(hanging.requests.length).toBe(before);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('the request was refused: Only https addresses are fetched.');
  });

  it('the warning names neither the password nor its hash prefix', async () => {
    const warnings: string[] = [];
    const policy = createPasswordPolicy({
      config: { hibpRangeUrl: hanging.url, hibpTimeoutMs: 150 },
      // The fake hangs on loopback, which only a test's fetcher may reach.
      outbound: fetcherFactory(LOOPBACK_FAKES),
      log: { warn: (fields, message) => warnings.push(JSON.stringify({ ...fields, message })) },
    });
    await expect(policy.check(STRONG_TOO, { min: 8, max: 128 }, [])).resolves.toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('unavailable');
    expect(warnings[0]).toContain('no answer within 150 ms');
    expect(warnings[0]).not.toContain(STRONG_TOO);
    expect(warnings[0]).not.toContain(sha1(STRONG_TOO).slice(0, 5));
  });
});

// ---------------------------------------------------------------------------------------------------
// Argon2id parameters upgrade on login.

describe('password hashes made with weaker parameters', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp();
  });
  afterAll(() => test.close());

  const ARGON2ID = 2 as Algorithm;
  const weakHash = (password: string) =>
    argon2Hash(password, { algorithm: ARGON2ID, memoryCost: 4096, timeCost: 1, parallelism: 1 });

  async function shopperWithWeakHash() {
    const email = uniqueEmail();
    const { userId } = await test.container.identity.accounts.registerShopper({
      email,
      password: STRONG,
      fullName: 'Test Shopper',
      country: 'PL',
    });
    if (!userId) throw new Error('sign-up created no user');
    await test.container.database.db
      .updateTable('users')
      .set({ passwordHash: await weakHash(STRONG) })
      .where('id', '=', userId)
      .execute();
    return { email, userId };
  }

  const storedHash = async (userId: string) =>
    (await test.container.database.db
      .selectFrom('users')
      .select(['passwordHash', 'passwordChangedAt'])
      .where('id', '=', userId)
      .executeTakeFirstOrThrow()) as { passwordHash: string; passwordChangedAt: Date };

  it('needsRehash is true only for other algorithms, versions or weaker parameters', async () => {
    const current = await argon2Hash('x', ARGON2_PARAMS);
    expect(needsRehash(current)).toBe(false);
    expect(needsRehash(await weakHash('x'))).toBe(true);
    const stronger = await argon2Hash('x', { ...ARGON2_PARAMS, memoryCost: 32 * 1024, timeCost: 3 });
    expect(needsRehash(stronger)).toBe(false);
    expect(needsRehash(current.replace('t=2', 't=1'))).toBe(true);
    expect(needsRehash(current.replace('p=1', 'p=0'))).toBe(true);
    expect(needsRehash(current.replace('v=19', 'v=16'))).toBe(true);
    expect(needsRehash(current.replace('$argon2id$', '$argon2i$'))).toBe(true);
    expect(needsRehash('$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW')).toBe(true);
    expect(needsRehash('deleted')).toBe(true);
    expect(needsRehash('')).toBe(true);
  });

  it('upgradePasswordHash replaces a weak hash once, keeping the password and its change date', async () => {
    const { userId } = await shopperWithWeakHash();
    const before = await storedHash(userId);
    const accounts = test.container.identity.accounts;
    expect(await accounts.upgradePasswordHash(userId as never, STRONG)).toBe(true);
    expect(await accounts.upgradePasswordHash(userId as never, STRONG)).toBe(false);
    const after = await storedHash(userId);
    expect(after.passwordHash).toContain('$argon2id$v=19$m=19456,t=2,p=1$');
    expect(await argon2Verify(after.passwordHash, STRONG)).toBe(true);
    expect(after.passwordChangedAt).toEqual(before.passwordChangedAt);
  });

  it('a user with a weaker hash logs in, and afterwards has a hash with the current parameters', async () => {
    const { email, userId } = await shopperWithWeakHash();
    const wrong = await test.anonymous.post('/v1/auth/token', { email, password: STRONG_TOO });
    expect(wrong.statusCode).toBe(401);
    expect(needsRehash((await storedHash(userId)).passwordHash)).toBe(true);

    const login = await test.anonymous.post('/v1/auth/token', { email, password: STRONG });
    expect(login.statusCode, login.body).toBe(200);
    const upgraded = (await storedHash(userId)).passwordHash;
    expect(needsRehash(upgraded)).toBe(false);
    expect(upgraded).toContain('$argon2id$v=19$m=19456,t=2,p=1$');
    const again = await test.anonymous.post('/v1/auth/token', { email, password: STRONG });
    expect(again.statusCode, again.body).toBe(200);
  });
});

describe('the default cost, and raising it', () => {
  let test: TestApp;
  // '' selects the configured default (128 MiB, 3 passes) instead of the suite's fast minimum.
  beforeAll(async () => {
    test = await createTestApp({ BULWARK_ARGON2_MEMORY_KIB: '', BULWARK_ARGON2_TIME_COST: '' });
  });
  afterAll(() => test.close());

  const stored = async (email: string) => {
    const userId = (await test.container.identity.accounts.activeUserByEmail(email))?.id as string;
    const row = await test.container.database.db
      .selectFrom('users')
      .select('passwordHash')
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    return { userId, hash: row.passwordHash };
  };

  it('new hashes use 128 MiB and 3 passes; a hash made at the old minimum is upgraded at the next login', async () => {
    const email = uniqueEmail();
    expect((await register(test, STRONG, { email })).statusCode).toBe(201);
    expect((await stored(email)).hash).toContain('$argon2id$v=19$m=131072,t=3,p=1$');

    // The account as it was before the cost went up: OWASP's minimum, still above the floor.
    const { userId } = await stored(email);
    await test.container.database.db
      .updateTable('users')
      .set({ passwordHash: await argon2Hash(STRONG, ARGON2_PARAMS) })
      .where('id', '=', userId)
      .execute();
    const login = await test.anonymous.post('/v1/auth/token', { email, password: STRONG });
    expect(login.statusCode, login.body).toBe(200);
    const upgraded = (await stored(email)).hash;
    expect(upgraded).toContain('$argon2id$v=19$m=131072,t=3,p=1$');
    expect(await argon2Verify(upgraded, STRONG)).toBe(true);
  });
});
