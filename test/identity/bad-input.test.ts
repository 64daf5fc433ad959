import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestToken, randomToken } from '../../src/modules/vault/index.ts';
import {
  createTestApp,
  expectProblem,
  type Shopper,
  signUp,
  type TestApp,
  uniqueEmail,
} from '../helpers/test-app.ts';

// Hostile input to the identity routes: every answer is a 4xx application/problem+json with a code (and,
// for a field, its name), never a 500, never a stack trace.

const CODE = /^[A-Z]+(_[A-Z0-9]+)+$/;
const WRONG_TYPES: unknown[] = [null, 1, 0, -1.5, true, false, [], ['x'], {}, { a: 1 }];

function expectClientProblem(response: LightMyRequestResponse, label: string) {
  expect(response.statusCode, `${label}: ${response.body}`).toBeGreaterThanOrEqual(400);
  expect(response.statusCode, `${label}: ${response.body}`).toBeLessThan(500);
  expect(String(response.headers['content-type']), label).toMatch(/^application\/problem\+json/);
  const problem = response.json() as { code: string; status: number; errors?: { field: string }[] };
  expect(problem.code, label).toMatch(CODE);
  expect(problem.status, label).toBe(response.statusCode);
  expect(response.body, label).not.toMatch(/\bat .+\.(ts|js):\d+|node_modules|SELECT |syntax error/i);
  return problem;
}

const fieldOf = (response: LightMyRequestResponse) =>
  (response.json() as { errors?: { field: string }[] }).errors?.[0]?.field;

let networks = 0;
/** Each request of the property from its own /24, so the network throttles are not what answers. */
const freshNetwork = () => {
  networks += 1;
  return `172.${16 + (Math.floor(networks / 250) % 16)}.${networks % 250}.3`;
};

describe('hostile input to the identity routes', () => {
  let test: TestApp;
  let shopper: Shopper;

  beforeAll(async () => {
    test = await createTestApp();
    shopper = await signUp(test);
  });
  afterAll(() => test.close());

  /** A reset link for the shopper, as the mail would carry it (issued straight into the table). */
  async function resetToken(userId: string): Promise<string> {
    const token = randomToken('bw_pr');
    await test.container.database.db
      .insertInto('oneTimeTokens')
      .values({
        tokenHash: digestToken(token),
        userId,
        purpose: 'password_reset',
        expiresAt: new Date(Date.now() + 15 * 60_000),
        subjectId: null,
        detail: null,
      })
      .execute();
    return token;
  }

  it('a password over 128 characters is a 422 naming the field; over the schema’s bound, a 400', async () => {
    const register = (password: string) =>
      test.anonymous.post('/v1/auth/register', {
        email: uniqueEmail(),
        password,
        fullName: 'A B',
        country: 'PL',
      });
    for (const [password, status] of [
      ['x'.repeat(129), 422],
      ['correct horse battery staple '.repeat(5), 422],
      ['x'.repeat(2000), 400],
    ] as const) {
      const response = await register(password);
      expectClientProblem(response, `register ${password.length}`);
      expect(response.statusCode).toBe(status);
      expect(fieldOf(response)).toBe('body.password');
    }

    const token = await resetToken(shopper.userId);
    const overlong = await test.anonymous.post('/v1/auth/password-reset/confirm', {
      token,
      password: 'y'.repeat(129),
    });
    expect(expectProblem(overlong, 422).errors?.[0]?.field).toBe('body.password');
    const huge = await test.anonymous.post('/v1/auth/password-reset/confirm', {
      token,
      password: 'y'.repeat(2000),
    });
    expect(expectProblem(huge, 400).errors?.[0]?.field).toBe('body.password');

    const change = (newPassword: string) =>
      shopper.client.post('/v1/me/password', { currentPassword: shopper.password, newPassword });
    const longNew = await change('z'.repeat(129));
    expect(expectProblem(longNew, 422).errors?.[0]?.field).toBe('body.newPassword');
    expect(expectProblem(await change('z'.repeat(2000)), 400).errors?.[0]?.field).toBe('body.newPassword');

    // A login with an over-long password is just a wrong password (the policy is not an oracle); a huge one
    // never reaches Argon2id.
    const login129 = await test.anonymous.post('/v1/auth/token', {
      email: shopper.email,
      password: 'p'.repeat(129),
    });
    expect(expectProblem(login129, 401).code).toBe('IDENTITY_INVALID_CREDENTIALS');
    const login2000 = await test.anonymous.post('/v1/auth/token', {
      email: shopper.email,
      password: 'p'.repeat(2000),
    });
    expect(expectProblem(login2000, 400).errors?.[0]?.field).toBe('body.password');
    const stepUp = await shopper.client.post('/v1/auth/step-up', { password: 'p'.repeat(2000) });
    expect(expectProblem(stepUp, 400).errors?.[0]?.field).toBe('body.password');
    // Nothing changed: the shopper's password still works.
    expect(
      (await test.anonymous.post('/v1/auth/token', { email: shopper.email, password: shopper.password }))
        .statusCode,
    ).toBe(200);
  });

  it('fields of the wrong type, missing fields and unknown properties are 400s naming the field', async () => {
    const ticket = randomToken('bw_mt');
    const link = randomToken('bw_pr');
    const bodies: [url: string, body: Record<string, unknown>, personal?: boolean][] = [
      [
        '/v1/auth/register',
        { email: uniqueEmail(), password: 'long enough passphrase', fullName: 'A B', country: 'PL' },
      ],
      ['/v1/auth/token', { email: shopper.email, password: 'whatever password', mfaCode: '123456' }],
      ['/v1/auth/login', { email: shopper.email, password: 'whatever password' }],
      ['/v1/auth/token/mfa', { mfaTicket: ticket, code: '123456' }],
      ['/v1/auth/login/mfa', { mfaTicket: ticket, code: 'ABCDE-FGHJK' }],
      ['/v1/auth/refresh', { refreshToken: 'bw_rt_whatever' }],
      ['/v1/auth/password-reset', { email: uniqueEmail() }],
      ['/v1/auth/password-reset/confirm', { token: link, password: 'long enough passphrase' }],
      ['/v1/auth/not-me', { token: randomToken('bw_nm') }],
      ['/v1/auth/email-change/confirm', { token: randomToken('bw_ec') }],
      ['/v1/auth/step-up', { password: 'whatever password' }, true],
      [
        '/v1/me/password',
        { currentPassword: 'whatever password', newPassword: 'another long passphrase' },
        true,
      ],
      ['/v1/me/email', { email: uniqueEmail() }, true],
      ['/v1/me/mfa/totp/confirm', { code: '123456' }, true],
    ];
    const send = (url: string, body: unknown, personal?: boolean) =>
      personal
        ? shopper.client.post(url, body)
        : test.app.inject({ method: 'POST', url, payload: body as object, remoteAddress: freshNetwork() });

    for (const [url, body, personal] of bodies) {
      for (const field of Object.keys(body)) {
        for (const value of WRONG_TYPES) {
          const response = await send(url, { ...body, [field]: value }, personal);
          expectClientProblem(response, `${url} ${field}=${JSON.stringify(value)}`);
          expect(response.statusCode, `${url} ${field}=${JSON.stringify(value)}`).toBe(400);
          expect(fieldOf(response), `${url} ${field}=${JSON.stringify(value)}`).toBe(`body.${field}`);
        }
        const { [field]: _dropped, ...missing } = body;
        const without = await send(url, missing, personal);
        // Optional fields (mfaCode, and either one of step-up's) may be left out.
        // (An empty body names the body itself: step-up needs one of its two fields.)
        const expected =
          Object.keys(missing).length === 0 && url === '/v1/auth/step-up' ? 'body' : `body.${field}`;
        if (without.statusCode === 400) expect(fieldOf(without), `${url} without ${field}`).toBe(expected);
        else expectClientProblem(without, `${url} without ${field}`);
      }
      for (const extra of ['role', 'isAdmin', '__proto__x', 'constructor', 'userId']) {
        const response = await send(url, { ...body, [extra]: 'admin' }, personal);
        expect(expectClientProblem(response, `${url} +${extra}`).code).toBe('PLATFORM_VALIDATION_FAILED');
        expect(fieldOf(response)).toBe(`body.${extra}`);
      }
      for (const raw of ['', '{', 'null', '[]', '"text"', '{"a":', '{"__proto__":{"admin":true}}']) {
        const response = personal
          ? await shopper.client.post(url, raw, { 'content-type': 'application/json' })
          : await test.app.inject({
              method: 'POST',
              url,
              payload: raw,
              headers: { 'content-type': 'application/json' },
              remoteAddress: freshNetwork(),
            });
        expect(expectClientProblem(response, `${url} raw ${raw}`).code).toMatch(/^PLATFORM_/);
      }
    }
    // The shopper is still who they were.
    expect((await shopper.client.get('/v1/me')).json().role).toBeNull();
  });

  it('second-factor codes, login tickets and link tokens of the wrong shape are 400s naming the field', async () => {
    const ticket = randomToken('bw_mt');
    for (const code of [
      '',
      '12345',
      '1234567',
      'abcdef',
      '12345a',
      '１２３４５６',
      '123 456',
      'ABCDE-FGHJKL',
      '-'.repeat(11),
    ]) {
      const response = await test.anonymous.post('/v1/auth/token/mfa', { mfaTicket: ticket, code });
      expect(expectProblem(response, 400).errors?.[0]?.field, code).toBe('body.code');
    }
    for (const mfaTicket of [
      '',
      'bw_mt_short',
      `bw_mt_${'a'.repeat(42)}`,
      `bw_mt_${'a'.repeat(44)}`,
      `bw_pr_${'a'.repeat(43)}x`,
      `BW_MT_${'a'.repeat(43)}`,
      `bw_mt_${'a'.repeat(42)}=`,
      'x'.repeat(5000),
      '../../etc/passwd',
    ]) {
      const response = await test.anonymous.post('/v1/auth/token/mfa', { mfaTicket, code: '123456' });
      expect(expectProblem(response, 400).errors?.[0]?.field, mfaTicket.slice(0, 20)).toBe('body.mfaTicket');
    }
    // Well-formed but never issued, or a ticket-shaped token of another purpose: the ticket is invalid.
    for (const mfaTicket of [ticket, randomToken('bw_pr')]) {
      const response = await test.anonymous.post('/v1/auth/token/mfa', { mfaTicket, code: '123456' });
      expect(expectProblem(response, 401).code).toBe('IDENTITY_INVALID_MFA_TICKET');
    }
    for (const token of [
      '',
      'bw_pr_',
      'bw_pr_%2e%2e',
      `bw_pr_${'a'.repeat(43)}\n`,
      'x'.repeat(10_000),
      'bw_pr_é'.padEnd(49, 'é'),
    ]) {
      for (const url of [
        '/v1/auth/password-reset/confirm',
        '/v1/auth/not-me',
        '/v1/auth/email-change/confirm',
      ]) {
        const body =
          url.endsWith('confirm') && url.includes('reset')
            ? { token, password: 'long passphrase here' }
            : { token };
        const response = await test.app.inject({
          method: 'POST',
          url,
          payload: body,
          remoteAddress: freshNetwork(),
        });
        expect(expectProblem(response, 400).errors?.[0]?.field, `${url} ${token.slice(0, 12)}`).toBe(
          'body.token',
        );
      }
    }
  });

  it('huge, garbage or misplaced credentials in headers are 401 problems, never 500', async () => {
    const token = String(shopper.client.headers.authorization).slice('Bearer '.length);
    const headers: Record<string, string>[] = [
      { authorization: `Bearer ${'a'.repeat(8192)}` },
      { authorization: `Bearer ${token}${'A'.repeat(8192)}` },
      { authorization: `Bearer ${'eyJ'.repeat(3000)}.${'a'.repeat(100)}.${'b'.repeat(100)}` },
      { authorization: 'Bearer' },
      { authorization: 'Bearer ' },
      { authorization: 'Bearer  two-spaces' },
      { authorization: 'Bearer a b' },
      { authorization: `bearer ${token}` },
      { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` },
      { authorization: 'Digest username="x"' },
      { authorization: `Bearer ${token}, Bearer ${token}` },
      { authorization: 'Bearer ....' },
      { authorization: 'Bearer bw_sk_' },
      { authorization: `Bearer bw_sk_${'a'.repeat(8000)}` },
      { authorization: 'Bearer ☃' },
      { authorization: '' },
      { cookie: `bw_session=${'a'.repeat(8192)}` },
      { cookie: 'bw_session=' },
      { cookie: 'bw_session=%00%ff; bw_session=again' },
      { cookie: `bw_session=${token}` },
    ];
    for (const header of headers) {
      const label = JSON.stringify(header).slice(0, 60);
      let response: LightMyRequestResponse;
      try {
        response = await test.app.inject({ method: 'GET', url: '/v1/me', headers: header });
      } catch {
        // A header the HTTP layer itself cannot carry (not a server answer): nothing to check.
        continue;
      }
      const problem = expectClientProblem(response, label);
      expect(response.statusCode, label).toBe(401);
      expect(problem.code, label).toBe('IDENTITY_UNAUTHENTICATED');
      // An unsafe method with the same garbage is refused the same way, before its body is read.
      const post = await test.app.inject({
        method: 'POST',
        url: '/v1/me/email',
        headers: header,
        payload: { email: 'x' },
      });
      expect(post.statusCode, label).toBe(401);
    }
    expect((await shopper.client.get('/v1/me')).statusCode).toBe(200);
  });

  it('random JSON bodies on the credential routes never cause a 5xx', async () => {
    const emails = fc.oneof(
      fc.constant(shopper.email),
      fc.emailAddress(),
      fc.string({ maxLength: 300 }),
      fc.constant(shopper.email.toUpperCase()),
    );
    const secrets = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ minLength: 120, maxLength: 140 }),
      fc.constant(shopper.password),
      fc.stringMatching(/^[0-9]{6}$/),
      fc.stringMatching(/^[0-9A-Za-z]{5}-[0-9A-Za-z]{5}$/),
    );
    const tokens = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.stringMatching(/^bw_[a-z]{2}_[A-Za-z0-9_-]{43}$/),
      fc.constant(randomToken('bw_mt')),
    );
    const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), emails, secrets, tokens);
    const shaped = fc.record(
      {
        email: fc.oneof(emails, anyValue),
        password: fc.oneof(secrets, anyValue),
        mfaCode: fc.oneof(secrets, anyValue),
        mfaTicket: fc.oneof(tokens, anyValue),
        code: fc.oneof(secrets, anyValue),
        token: fc.oneof(tokens, anyValue),
        extra: anyValue,
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      { weight: 4, arbitrary: shaped },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
      { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), anyValue, { maxKeys: 4 }) },
    );
    // Mostly bodies of the route's own shape (so many get past the schema to the service), some not.
    const ownShape = {
      '/v1/auth/token': fc.record(
        { email: emails, password: secrets, mfaCode: secrets },
        { requiredKeys: ['email', 'password'] },
      ),
      '/v1/auth/token/mfa': fc.record({ mfaTicket: tokens, code: secrets }),
      '/v1/auth/password-reset/confirm': fc.record({ token: tokens, password: secrets }),
      '/v1/auth/step-up': fc.record({ password: secrets, code: secrets }, { requiredKeys: [] }),
    } as const;
    const routes = Object.keys(ownShape) as (keyof typeof ownShape)[];
    const request = fc
      .constantFrom(...routes)
      .chain((url) =>
        fc.tuple(
          fc.constant(url),
          fc.oneof(
            { weight: 3, arbitrary: ownShape[url] as fc.Arbitrary<unknown> },
            { weight: 2, arbitrary: body },
          ),
        ),
      );
    const statuses = new Map<string, number>();

    await fc.assert(
      fc.asyncProperty(request, async ([url, payload]) => {
        const response = await test.app.inject({
          method: 'POST',
          url,
          payload: JSON.stringify(payload ?? null),
          headers: {
            'content-type': 'application/json',
            ...(url === '/v1/auth/step-up'
              ? { authorization: String(shopper.client.headers.authorization) }
              : {}),
          },
          remoteAddress: freshNetwork(),
        });
        const code = response.statusCode >= 400 ? (response.json() as { code: string }).code : 'ok';
        const key = `${url} ${response.statusCode} ${code}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        expect(
          response.statusCode,
          `${url} ${JSON.stringify(payload)?.slice(0, 200)}: ${response.body}`,
        ).toBeLessThan(500);
        if (response.statusCode >= 400) expectClientProblem(response, url);
      }),
      { numRuns: 300 },
    );
    console.info(`answers by route and status: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
    // The property reached past the schema on every route, not only into validation errors.
    for (const url of routes) {
      const reached = [...statuses.keys()].filter((k) => k.startsWith(`${url} `) && !k.includes('PLATFORM_'));
      expect(reached.length, url).toBeGreaterThan(0);
    }
  });
});
