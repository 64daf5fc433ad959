import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Client,
  createTestApp,
  expectProblem,
  type Shopper,
  signUp,
  type TestApp,
  totpCode,
  uniqueEmail,
} from '../helpers/test-app.ts';

// Second factors through HTTP: TOTP enrolment and recovery codes, the two-step login, single use of every
// code, the per-ticket and per-account budgets for wrong codes, and staff sessions that may only enrol.

/** The server's clock, moved forward by the test: each TOTP step is 30 seconds, and each is good once. */
const clock = {
  offsetMs: 0,
  now: () => new Date(Date.now() + clock.offsetMs),
};
const nextStep = () => {
  clock.offsetMs += 30_000;
};
const codeFor = (secret: string) => totpCode(secret, clock.now().getTime());
/** A six-digit code that is certainly not the current one: every digit of the current code, shifted. */
const wrongCodeFor = (secret: string) =>
  codeFor(secret).replace(/\d/g, (digit) => String((Number(digit) + 5) % 10));

const RECOVERY_CODE = /^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/;

interface Enrolled extends Shopper {
  readonly secret: string;
  readonly recoveryCodes: string[];
}

describe('second factors: TOTP and recovery codes', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await createTestApp({}, { clock });
  });
  afterAll(() => test.close());

  /** A shopper who set up an authenticator app through the API. */
  async function enrolled(): Promise<Enrolled> {
    const shopper = await signUp(test);
    const setup = await shopper.client.post('/v1/me/mfa/totp');
    expect(setup.statusCode).toBe(200);
    const { secret } = setup.json() as { secret: string };
    const confirmed = await shopper.client.post('/v1/me/mfa/totp/confirm', { code: codeFor(secret) });
    expect(confirmed.statusCode).toBe(200);
    // The confirming code's step is spent: the next code comes from the next step.
    nextStep();
    return { ...shopper, secret, recoveryCodes: confirmed.json().recoveryCodes };
  }

  /** The first step of a login: the password is right, and the answer asks for a second factor. */
  async function ticketFor(account: { email: string; password: string }, route = '/v1/auth/token') {
    const response = await test.anonymous.post(route, { email: account.email, password: account.password });
    const problem = expectProblem(response, 401) as ReturnType<typeof expectProblem> & {
      mfaTicket: string;
      methods: string[];
    };
    expect(problem.code).toBe('IDENTITY_MFA_REQUIRED');
    return problem.mfaTicket;
  }

  const finish = (mfaTicket: string, code: unknown) =>
    test.anonymous.post('/v1/auth/token/mfa', { mfaTicket, code });

  it('enrolment shows the secret once and, confirmed with a code, ten distinct recovery codes', async () => {
    const shopper = await signUp(test);
    expect((await shopper.client.get('/v1/me/mfa')).json()).toEqual({
      totp: false,
      passkeys: 0,
      recoveryCodesLeft: 0,
    });
    const setup = await shopper.client.post('/v1/me/mfa/totp');
    expect(setup.statusCode).toBe(200);
    const { secret, otpauthUri } = setup.json() as { secret: string; otpauthUri: string };
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(otpauthUri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('issuer')).toBe('Bulwark');
    expect(decodeURIComponent(uri.pathname)).toContain(shopper.email);

    // Not enrolled until a code confirms it: logging in still needs the password only.
    expect((await shopper.client.get('/v1/me/mfa')).json().totp).toBe(false);
    const wrong = await shopper.client.post('/v1/me/mfa/totp/confirm', { code: wrongCodeFor(secret) });
    // 422, not 401: the session is fine, the code is not (a 401 would make clients log out).
    const mismatch = expectProblem(wrong, 422);
    expect(mismatch.code).toBe('IDENTITY_TOTP_CODE_MISMATCH');
    expect(mismatch.errors?.[0]?.field).toBe('body.code');
    expect((await shopper.client.get('/v1/me/mfa')).json().totp).toBe(false);

    const confirmed = await shopper.client.post('/v1/me/mfa/totp/confirm', { code: codeFor(secret) });
    expect(confirmed.statusCode).toBe(200);
    const codes = confirmed.json().recoveryCodes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(RECOVERY_CODE);
    expect((await shopper.client.get('/v1/me/mfa')).json()).toEqual({
      totp: true,
      passkeys: 0,
      recoveryCodesLeft: 10,
    });
    // Confirming twice is refused, and starting over needs a recent authentication (this one is).
    nextStep();
    const again = await shopper.client.post('/v1/me/mfa/totp/confirm', { code: codeFor(secret) });
    expect(expectProblem(again, 409).code).toBe('IDENTITY_MFA_NOT_ENROLLED');
    expect(expectProblem(await shopper.client.post('/v1/me/mfa/totp'), 409).code).toBe(
      'IDENTITY_MFA_ALREADY_ENROLLED',
    );
  });

  it('with TOTP, the password alone answers 401 IDENTITY_MFA_REQUIRED with a ticket; a code finishes', async () => {
    const account = await enrolled();
    const response = await test.anonymous.post('/v1/auth/token', {
      email: account.email,
      password: account.password,
    });
    const problem = expectProblem(response, 401) as ReturnType<typeof expectProblem> & {
      mfaTicket: string;
      methods: string[];
      expiresAt: string;
    };
    expect(problem.code).toBe('IDENTITY_MFA_REQUIRED');
    expect(problem.mfaTicket).toMatch(/^bw_mt_[A-Za-z0-9_-]{43}$/);
    expect(problem.methods).toEqual(['totp', 'recovery_code']);
    expect(new Date(problem.expiresAt).getTime()).toBeGreaterThan(clock.now().getTime());
    expect(response.body).not.toMatch(/accessToken|refreshToken/);

    const done = await finish(problem.mfaTicket, codeFor(account.secret));
    expect(done.statusCode).toBe(200);
    const client = new Client(test.app, { authorization: `Bearer ${done.json().accessToken}` });
    expect((await client.get('/v1/me')).json().id).toBe(account.userId);
    // The ticket is used up.
    nextStep();
    const reused = await finish(problem.mfaTicket, codeFor(account.secret));
    expect(expectProblem(reused, 401).code).toBe('IDENTITY_INVALID_MFA_TICKET');
  });

  it('a TOTP code is accepted once: replaying it within its 30-second step is refused', async () => {
    const account = await enrolled();
    const code = codeFor(account.secret);
    expect((await finish(await ticketFor(account), code)).statusCode).toBe(200);
    const secondTicket = await ticketFor(account);
    const replay = await finish(secondTicket, code);
    const problem = expectProblem(replay, 401);
    expect(problem.code).toBe('IDENTITY_INVALID_MFA_CODE');
    expect(problem.errors?.[0]?.field).toBe('body.code');
    // Inline, too.
    const inline = await test.anonymous.post('/v1/auth/token', {
      email: account.email,
      password: account.password,
      mfaCode: code,
    });
    expect(expectProblem(inline, 401).code).toBe('IDENTITY_INVALID_MFA_CODE');
    // The next step's code works, on the ticket that survived the wrong answers.
    nextStep();
    expect((await finish(secondTicket, codeFor(account.secret))).statusCode).toBe(200);
  });

  it('`mfaCode` on POST /v1/auth/token logs in in one step', async () => {
    const account = await enrolled();
    const response = await test.anonymous.post('/v1/auth/token', {
      email: account.email,
      password: account.password,
      mfaCode: codeFor(account.secret),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().tokenType).toBe('Bearer');
    // A wrong password with a right code is still just wrong credentials.
    nextStep();
    const wrongPassword = await test.anonymous.post('/v1/auth/token', {
      email: account.email,
      password: 'not the password at all',
      mfaCode: codeFor(account.secret),
    });
    expect(expectProblem(wrongPassword, 401).code).toBe('IDENTITY_INVALID_CREDENTIALS');
  });

  it('a recovery code works once and only once, whatever its case and dash', async () => {
    const account = await enrolled();
    const [first, second, third, fourth] = account.recoveryCodes as [string, string, string, string];
    expect((await finish(await ticketFor(account), first)).statusCode).toBe(200);
    const reused = await finish(await ticketFor(account), first);
    expect(expectProblem(reused, 401).code).toBe('IDENTITY_INVALID_MFA_CODE');

    for (const spelling of [
      second.toLowerCase(),
      third.replace('-', ''),
      fourth.replace('-', '').toLowerCase(),
    ]) {
      const response = await finish(await ticketFor(account), spelling);
      expect(response.statusCode, spelling).toBe(200);
    }
    // Each spelling used up its code: the canonical form is refused too.
    expectProblem(await finish(await ticketFor(account), second), 401);
    expect((await account.client.get('/v1/me/mfa')).json().recoveryCodesLeft).toBe(6);
    // Inline on the token route, once.
    const [fifth] = account.recoveryCodes.slice(4) as [string];
    const body = { email: account.email, password: account.password, mfaCode: fifth };
    expect((await test.anonymous.post('/v1/auth/token', body)).statusCode).toBe(200);
    expectProblem(await test.anonymous.post('/v1/auth/token', body), 401);
  });

  it('malformed codes are clear 400 problems naming the field; wrong ones 401; never a 500', async () => {
    const account = await enrolled();
    const ticket = await ticketFor(account);
    for (const code of [
      '12345',
      '1234567',
      'abcdef',
      '',
      '12 456',
      ' 123456',
      123456,
      null,
      ['123456'],
      {},
    ]) {
      const problem = expectProblem(await finish(ticket, code), 400);
      expect(problem.code, JSON.stringify(code)).toBe('PLATFORM_VALIDATION_FAILED');
      expect(problem.errors?.[0]?.field, JSON.stringify(code)).toBe('body.code');
      const inline = await test.anonymous.post('/v1/auth/token', {
        email: account.email,
        password: account.password,
        mfaCode: code,
      });
      expect(expectProblem(inline, 400).errors?.[0]?.field, JSON.stringify(code)).toBe('body.mfaCode');
      const confirm = await account.client.post('/v1/me/mfa/totp/confirm', { code });
      expect(expectProblem(confirm, 400).errors?.[0]?.field, JSON.stringify(code)).toBe('body.code');
    }
    const missing = await test.anonymous.post('/v1/auth/token/mfa', { mfaTicket: ticket });
    expect(expectProblem(missing, 400).errors?.[0]).toEqual({ field: 'body.code', message: 'is required' });

    const wrong = expectProblem(await finish(ticket, wrongCodeFor(account.secret)), 401);
    expect(wrong.code).toBe('IDENTITY_INVALID_MFA_CODE');
    expect(wrong.errors?.[0]?.field).toBe('body.code');
    // A well-formed recovery code that is not one of the account's.
    expect(expectProblem(await finish(ticket, 'ZZZZZ-ZZZZZ'), 401).code).toBe('IDENTITY_INVALID_MFA_CODE');
    // The shape errors did not count against the ticket: it still finishes the login.
    expect((await finish(ticket, codeFor(account.secret))).statusCode).toBe(200);
  });

  it('a login ticket is burned after five wrong codes', async () => {
    const account = await enrolled();
    const ticket = await ticketFor(account);
    for (let i = 0; i < 5; i += 1) {
      expect(expectProblem(await finish(ticket, wrongCodeFor(account.secret)), 401).code).toBe(
        'IDENTITY_INVALID_MFA_CODE',
      );
    }
    const burned = await finish(ticket, codeFor(account.secret));
    expect(expectProblem(burned, 401).code).toBe('IDENTITY_INVALID_MFA_TICKET');
    // The right code was not spent on the burned ticket.
    await test.container.database.db.deleteFrom('authThrottle').execute();
    expect((await finish(await ticketFor(account), codeFor(account.secret))).statusCode).toBe(200);
  });

  it('wrong codes are throttled per account, across tickets: the sixth try is a 429 with Retry-After', async () => {
    const account = await enrolled();
    const first = await ticketFor(account);
    for (let i = 0; i < 3; i += 1) expectProblem(await finish(first, wrongCodeFor(account.secret)), 401);
    const second = await ticketFor(account);
    for (let i = 0; i < 2; i += 1) expectProblem(await finish(second, wrongCodeFor(account.secret)), 401);

    // Five wrong codes: even the right code on a fresh ticket now waits.
    const third = await ticketFor(account);
    const throttled = await finish(third, codeFor(account.secret));
    expect(expectProblem(throttled, 429).code).toBe('IDENTITY_THROTTLED');
    const retryAfter = Number(throttled.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(30 * 60);
    const inline = await test.anonymous.post('/v1/auth/token', {
      email: account.email,
      password: account.password,
      mfaCode: codeFor(account.secret),
    });
    expect(expectProblem(inline, 429).code).toBe('IDENTITY_THROTTLED');
    // Step-up with a code is the same budget.
    const stepUp = await account.client.post('/v1/auth/step-up', { code: codeFor(account.secret) });
    expect(expectProblem(stepUp, 429).code).toBe('IDENTITY_THROTTLED');

    // Another account is not affected.
    const other = await enrolled();
    expect((await finish(await ticketFor(other), codeFor(other.secret))).statusCode).toBe(200);

    // After the wait, the right code works (and clears the count).
    clock.offsetMs += retryAfter * 1000;
    nextStep();
    expect((await finish(third, codeFor(account.secret))).statusCode).toBe(200);
  });

  it('a ticket from a web login does not finish a token login, and the reverse', async () => {
    const account = await enrolled();
    const webTicket = await ticketFor(account, '/v1/auth/login');
    const crossed = await finish(webTicket, codeFor(account.secret));
    expect(expectProblem(crossed, 401).code).toBe('IDENTITY_INVALID_MFA_TICKET');
    const tokenTicket = await ticketFor(account);
    const crossedBack = await test.anonymous.post('/v1/auth/login/mfa', {
      mfaTicket: tokenTicket,
      code: codeFor(account.secret),
    });
    expect(expectProblem(crossedBack, 401).code).toBe('IDENTITY_INVALID_MFA_TICKET');
    // Each works on its own route (the code was not spent by the refusals).
    const web = await test.anonymous.post('/v1/auth/login/mfa', {
      mfaTicket: webTicket,
      code: codeFor(account.secret),
    });
    expect(web.statusCode).toBe(200);
    expect(String(web.headers['set-cookie'])).toMatch(/^bw_session=/);
    nextStep();
    expect((await finish(tokenTicket, codeFor(account.secret))).statusCode).toBe(200);
  });

  it('an expired login ticket is refused', async () => {
    const account = await enrolled();
    const ticket = await ticketFor(account);
    await test.container.database.db
      .updateTable('oneTimeTokens')
      .set({ expiresAt: new Date(clock.now().getTime() - 1000) })
      .where('userId', '=', account.userId)
      .where('purpose', '=', 'mfa_login')
      .execute();
    expect(expectProblem(await finish(ticket, codeFor(account.secret)), 401).code).toBe(
      'IDENTITY_INVALID_MFA_TICKET',
    );
  });

  it('the database holds neither the TOTP secret nor any recovery code in the clear', async () => {
    const account = await enrolled();
    const db = test.container.database.db;
    const factors = await sql`select * from totp_factors where user_id = ${account.userId}`.execute(db);
    const codes = await sql`select * from recovery_codes where user_id = ${account.userId}`.execute(db);
    expect(factors.rows).toHaveLength(1);
    expect(codes.rows).toHaveLength(10);
    const dump = JSON.stringify([factors.rows, codes.rows]);
    expect(dump).not.toContain(account.secret);
    expect(dump.toLowerCase()).not.toContain(account.secret.toLowerCase());
    for (const code of account.recoveryCodes) {
      expect(dump).not.toContain(code);
      expect(dump).not.toContain(code.replace('-', ''));
      expect(dump.toLowerCase()).not.toContain(code.replace('-', '').toLowerCase());
    }
    const row = factors.rows[0] as { secretEnc: string };
    expect(row.secretEnc).not.toContain(account.secret);
    expect(row.secretEnc.length).toBeGreaterThan(account.secret.length);
  });
});

describe('staff without a second factor: a session that can only enrol one', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await createTestApp({}, { clock });
  });
  afterAll(() => test.close());

  async function unenrolledStaff() {
    const email = uniqueEmail('support');
    const password = 'Staff-4wT9-pass-qZr8-long';
    const created = await test.container.identity.createStaff(
      { email, password, role: 'support', fullName: 'New Support', country: 'CN' },
      false,
    );
    expect(created.totpSecret).toBeNull();
    const login = await test.anonymous.post('/v1/auth/token', { email, password });
    expect(login.statusCode).toBe(200);
    const client = new Client(test.app, { authorization: `Bearer ${login.json().accessToken}` });
    return { client, email, password, userId: created.id };
  }

  it('logs in with the password only and reaches the enrolment routes, nothing else', async () => {
    const staff = await unenrolledStaff();
    expect((await staff.client.get('/v1/me')).json()).toMatchObject({ id: staff.userId, role: 'support' });
    expect((await staff.client.get('/v1/me/mfa')).json().totp).toBe(false);
    // Step-up (with the password, as there is no factor yet) is open to it, and proves no second factor:
    // the session stays enrolment-only.
    expect((await staff.client.post('/v1/auth/step-up', { password: staff.password })).statusCode).toBe(200);
    expect(expectProblem(await staff.client.get('/v1/staff/orders'), 403).code).toBe(
      'IDENTITY_MFA_ENROLMENT_REQUIRED',
    );

    // Every other route that needs a login answers 403 IDENTITY_MFA_ENROLMENT_REQUIRED.
    const closed = test.app.declaredRoutes.filter(
      (route) => !('public' in route.access) && !route.access.enrolment,
    );
    expect(closed.length).toBeGreaterThan(20);
    for (const route of closed) {
      const url = route.url.replace(/:[A-Za-z]+/g, 'x');
      const response = await staff.client.request(route.method as 'GET', url);
      expect(response.statusCode, `${route.method} ${route.url}`).toBe(403);
      if (route.method !== 'HEAD') {
        expect(response.json().code, `${route.method} ${route.url}`).toBe('IDENTITY_MFA_ENROLMENT_REQUIRED');
      }
    }
    const open = test.app.declaredRoutes
      .filter((route) => !('public' in route.access) && route.access.enrolment)
      .map((route) => `${route.method} ${route.url}`)
      .filter((route) => !route.startsWith('HEAD '))
      .sort();
    expect(open).toEqual(
      expect.arrayContaining([
        'GET /v1/me',
        'GET /v1/me/mfa',
        'POST /v1/auth/logout',
        'POST /v1/auth/step-up',
        'POST /v1/me/mfa/totp',
        'POST /v1/me/mfa/totp/confirm',
      ]),
    );
    // Only the profile read, second-factor set-up, step-up and logout: nothing that touches other data.
    for (const route of open) {
      expect(route).toMatch(
        /^[A-Z]+ \/v1\/(me|me\/mfa(\/.*)?|me\/passkeys(\/.*)?|auth\/logout|auth\/step-up(\/.*)?)$/,
      );
    }
  });

  it('after confirming TOTP, the same session works everywhere its role allows', async () => {
    const staff = await unenrolledStaff();
    expect(expectProblem(await staff.client.get('/v1/staff/orders'), 403).code).toBe(
      'IDENTITY_MFA_ENROLMENT_REQUIRED',
    );
    const { secret } = (await staff.client.post('/v1/me/mfa/totp')).json() as { secret: string };
    const confirmed = await staff.client.post('/v1/me/mfa/totp/confirm', { code: codeFor(secret) });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json().recoveryCodes).toHaveLength(10);
    expect((await staff.client.get('/v1/staff/orders')).statusCode).toBe(200);
    expect((await staff.client.get('/v1/me/sessions')).statusCode).toBe(200);
    // Its role still bounds it: support does not process orders.
    const process = await staff.client.post(`/v1/staff/orders/ord_${'0'.repeat(26)}/purchasing`);
    expect(expectProblem(process, 403).code).toBe('IDENTITY_FORBIDDEN');

    // From now on the password alone is not enough, and staff may not drop their only factor.
    nextStep();
    const again = await test.anonymous.post('/v1/auth/token', {
      email: staff.email,
      password: staff.password,
    });
    expect(expectProblem(again, 401).code).toBe('IDENTITY_MFA_REQUIRED');
    const drop = await staff.client.delete('/v1/me/mfa/totp');
    expect(expectProblem(drop, 409).code).toBe('IDENTITY_LAST_FACTOR');
  });

  it('logout is open to an enrolment-only session', async () => {
    const staff = await unenrolledStaff();
    expect((await staff.client.post('/v1/auth/logout')).statusCode).toBe(204);
    expectProblem(await staff.client.get('/v1/me'), 401);
  });
});
