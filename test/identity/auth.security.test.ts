import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Client,
  createTestApp,
  expectProblem,
  serverWords,
  signUp,
  type TestApp,
  uniqueEmail,
} from '../helpers/test-app.ts';

const withoutRequestId = (body: string) => {
  const { requestId: _ignored, ...rest } = JSON.parse(body);
  return rest;
};

describe('sign-up and login', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp();
  });
  afterAll(() => test.close());

  it('sign-up answers the same for a new and an already registered e-mail address', async () => {
    const shopper = await signUp(test);
    const body = { password: 'another long password', fullName: 'Someone Else', country: 'DE' };
    const again = await test.anonymous.post('/v1/auth/register', {
      ...body,
      email: shopper.email.toUpperCase(),
    });
    const fresh = await test.anonymous.post('/v1/auth/register', { ...body, email: uniqueEmail() });
    expect(again.statusCode).toBe(201);
    expect(fresh.statusCode).toBe(201);
    expect(withoutRequestId(again.body)).toEqual(withoutRequestId(fresh.body));
    // The original password still works: the second sign-up changed nothing.
    expect(
      (await test.anonymous.post('/v1/auth/token', { email: shopper.email, password: shopper.password }))
        .statusCode,
    ).toBe(200);
  });

  it('an unknown e-mail and a wrong password fail identically', async () => {
    const shopper = await signUp(test);
    const wrongPassword = await test.anonymous.post('/v1/auth/token', {
      email: shopper.email,
      password: 'not the password',
    });
    const unknownUser = await test.anonymous.post('/v1/auth/token', {
      email: uniqueEmail(),
      password: 'not the password',
    });
    expectProblem(wrongPassword, 401);
    expectProblem(unknownUser, 401);
    expect(withoutRequestId(wrongPassword.body)).toEqual(withoutRequestId(unknownUser.body));
    expect(wrongPassword.json().code).toBe('IDENTITY_INVALID_CREDENTIALS');
  });

  it('refuses passwords outside 8..128 characters, naming the field', async () => {
    for (const password of ['short', 'x'.repeat(129)]) {
      const response = await test.anonymous.post('/v1/auth/register', {
        email: uniqueEmail(),
        password,
        fullName: 'A B',
        country: 'PL',
      });
      const problem = expectProblem(response, 422);
      expect(problem.errors?.[0]?.field).toBe('body.password');
    }
  });

  it('staff passwords need at least 12 characters', async () => {
    await expect(
      test.container.identity.accounts.createStaff({
        email: uniqueEmail('staff'),
        password: 'elevenchars',
        role: 'support',
        fullName: 'S',
        country: 'CN',
      }),
    ).rejects.toMatchObject({ code: 'IDENTITY_WEAK_PASSWORD' });
  });

  it('refuses a phone number that is not a real E.164 number and an unknown country', async () => {
    const response = await test.anonymous.post('/v1/auth/register', {
      email: uniqueEmail(),
      password: 'long enough password',
      fullName: 'A B',
      country: 'QQ',
      phone: '+1000000000',
    });
    const problem = expectProblem(response, 422);
    expect(problem.errors?.map((e) => e.field).sort()).toEqual(['body.country', 'body.phone']);
  });

  it('replaying an already-rotated refresh token revokes the session for both holders', async () => {
    const shopper = await signUp(test);
    const first = (
      await test.anonymous.post('/v1/auth/token', { email: shopper.email, password: shopper.password })
    ).json();
    const thief = (
      await test.anonymous.post('/v1/auth/refresh', { refreshToken: first.refreshToken })
    ).json();
    const replay = await test.anonymous.post('/v1/auth/refresh', { refreshToken: first.refreshToken });
    expect(expectProblem(replay, 401).code).toBe('IDENTITY_REFRESH_TOKEN_REUSED');
    expectProblem(await test.anonymous.post('/v1/auth/refresh', { refreshToken: thief.refreshToken }), 401);
    const thiefClient = new Client(test.app, { authorization: `Bearer ${thief.accessToken}` });
    expectProblem(await thiefClient.get('/v1/me'), 401);
    // Other sessions of the same shopper are untouched.
    expect((await shopper.client.get('/v1/me')).statusCode).toBe(200);
  });

  it('a refresh token works once; the rotated pair replaces it', async () => {
    const shopper = await signUp(test);
    const first = (
      await test.anonymous.post('/v1/auth/token', { email: shopper.email, password: shopper.password })
    ).json();
    const second = await test.anonymous.post('/v1/auth/refresh', { refreshToken: first.refreshToken });
    expect(second.statusCode).toBe(200);
    expect(second.json().refreshToken).not.toBe(first.refreshToken);
    const old = new Client(test.app, { authorization: `Bearer ${first.accessToken}` });
    expectProblem(await old.get('/v1/me'), 401);
    const fresh = new Client(test.app, { authorization: `Bearer ${second.json().accessToken}` });
    expect((await fresh.get('/v1/me')).statusCode).toBe(200);
    expectProblem(await test.anonymous.post('/v1/auth/refresh', { refreshToken: first.refreshToken }), 401);
  });

  it('logout and session revocation end access at once', async () => {
    const shopper = await signUp(test);
    const other = await test.anonymous.post('/v1/auth/token', {
      email: shopper.email,
      password: shopper.password,
    });
    const second = new Client(test.app, { authorization: `Bearer ${other.json().accessToken}` });
    const sessions = (await shopper.client.get('/v1/me/sessions')).json().items as {
      id: string;
      current: boolean;
    }[];
    expect(sessions).toHaveLength(2);
    const secondId = sessions.find((s) => !s.current)?.id as string;
    expect((await shopper.client.delete(`/v1/me/sessions/${secondId}`)).statusCode).toBe(204);
    expectProblem(await second.get('/v1/me'), 401);
    expect((await shopper.client.post('/v1/auth/logout')).statusCode).toBe(204);
    expectProblem(await shopper.client.get('/v1/me'), 401);
  });

  it('a cookie session needs its CSRF token on unsafe requests; bearer tokens do not', async () => {
    const shopper = await signUp(test);
    const login = await test.anonymous.post('/v1/auth/login', {
      email: shopper.email,
      password: shopper.password,
    });
    expect(login.statusCode).toBe(200);
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    const cookie = setCookie.split(';')[0] as string;
    const browser = new Client(test.app, { cookie });
    expect((await browser.get('/v1/me')).json().email).toBe(shopper.email);
    const forged = await browser.patch('/v1/me', { fullName: 'Changed by a forged request' });
    expect(expectProblem(forged, 403).code).toBe('IDENTITY_CSRF_FAILED');
    const wrong = await browser.patch('/v1/me', { fullName: 'x' }, { 'x-csrf-token': 'bw_csrf_wrong' });
    expectProblem(wrong, 403);
    expect((await browser.get('/v1/me')).json().fullName).toBe('Test Shopper');
    const honest = await browser.patch(
      '/v1/me',
      { fullName: 'Anna K.' },
      { 'x-csrf-token': login.json().csrfToken },
    );
    expect(honest.statusCode).toBe(200);
    expect(honest.json().fullName).toBe('Anna K.');
  });

  it('the profile can be changed, and unknown or privileged fields are refused', async () => {
    const shopper = await signUp(test);
    const changed = await shopper.client.patch('/v1/me', {
      phone: '+49 151 23456789'.replaceAll(' ', ''),
      country: 'DE',
      language: 'de',
    });
    expect(changed.json()).toMatchObject({ phone: '+4915123456789', country: 'DE', language: 'de' });
    const escalate = await shopper.client.patch('/v1/me', { role: 'admin' });
    expect(expectProblem(escalate, 400).errors?.[0]?.field).toBe('body.role');
    expect((await shopper.client.get('/v1/me')).json().role).toBeNull();
  });

  it('the users table holds no plaintext e-mail, name or phone, and no token in the clear', async () => {
    const shopper = await signUp(test, { fullName: 'Zofia Plaintextowska', phone: '+48601999888' });
    const rows = await sql`select * from users`.execute(test.container.database.db);
    const sessions = await sql`select * from sessions`.execute(test.container.database.db);
    const dump = JSON.stringify([rows.rows, sessions.rows]);
    expect(dump).not.toContain(shopper.email);
    expect(dump).not.toContain('Plaintextowska');
    expect(dump).not.toContain('48601999888');
    const token = String(shopper.client.headers.authorization).slice('Bearer '.length);
    expect(dump).not.toContain(token);
    expect(dump).toContain('$argon2id$v=19$m=19456,t=2,p=1$');
  });
});

describe('protected data that cannot be read', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp();
  });
  afterAll(() => test.close());

  it('a ciphertext moved onto another person fails closed: a 503 problem with a request id and an alert event', async () => {
    const victim = await signUp(test, { fullName: 'Victim Person' });
    const other = await signUp(test, { fullName: 'Other Person' });
    const db = test.container.database.db;
    const events: unknown[] = [];
    const stop = test.container.events.on('vault.decryption_failed', (event) => events.push(event));
    // Move the other shopper's encrypted name onto the victim's row: it must not decrypt there.
    const row = await sql<{
      fullNameEnc: string;
    }>`select full_name_enc from users where id = ${other.userId}`.execute(db);
    await sql`update users set full_name_enc = ${row.rows[0]?.fullNameEnc} where id = ${victim.userId}`.execute(
      db,
    );
    const response = await victim.client.get('/v1/me');
    stop();
    const problem = expectProblem(response, 503);
    expect(problem.code).toBe('VAULT_DATA_UNREADABLE');
    expect(response.body).not.toContain('Other Person');
    expect(serverWords(response)).not.toMatch(/wrapped|owner|nonce|aes/i);
    expect(events).toEqual([
      expect.objectContaining({ table: 'users', column: 'full_name', rowId: victim.userId }),
    ]);
  });
});
