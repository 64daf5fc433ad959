import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE_PERMISSIONS, STAFF_ROLES, type StaffRole } from '../../src/modules/identity/index.ts';
import {
  backdateAuthentication,
  Client,
  createTestApp,
  expectProblem,
  type Shopper,
  signUp,
  type TestApp,
  totpCode,
  uniqueEmail,
} from '../helpers/test-app.ts';

// Sensitive actions need an authentication from the last five minutes (RFC 9470 step-up). A session's
// authentication is aged either by moving the server's clock or by back-dating `sessions.authenticated_at`.

const clock = {
  offsetMs: 0,
  now: () => new Date(Date.now() + clock.offsetMs),
};
const advance = (seconds: number) => {
  clock.offsetMs += seconds * 1000;
};
const codeFor = (secret: string) => totpCode(secret, clock.now().getTime());
const CHALLENGE = 'Bearer realm="bulwark", error="insufficient_user_authentication", max_age=300';
const NEW_PASSWORD = 'violet kettle drums under marzipan';

function expectStepUp(response: LightMyRequestResponse, label = '') {
  const problem = expectProblem(response, 401) as ReturnType<typeof expectProblem> & { maxAge: number };
  expect(problem.code, label).toBe('IDENTITY_STEP_UP_REQUIRED');
  expect(problem.maxAge, label).toBe(300);
  expect(response.headers['www-authenticate'], label).toBe(CHALLENGE);
}

interface Person {
  readonly client: Client;
  readonly email: string;
  readonly password: string;
  readonly userId: string;
  readonly secret: string | null;
  readonly recoveryCodes: string[];
}

describe('step-up: sensitive actions need a recent authentication', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await createTestApp({}, { clock });
  });
  afterAll(() => test.close());

  /** Back-dates every session of the user: their last login or step-up was `seconds` ago. */
  const age = (userId: string, seconds = 301) => backdateAuthentication(test, userId, seconds, clock.now());

  async function shopper(withTotp = false): Promise<Person> {
    const person: Shopper = await signUp(test);
    if (!withTotp) return { ...person, secret: null, recoveryCodes: [] };
    const { secret } = (await person.client.post('/v1/me/mfa/totp')).json() as { secret: string };
    const confirmed = await person.client.post('/v1/me/mfa/totp/confirm', { code: codeFor(secret) });
    expect(confirmed.statusCode).toBe(200);
    advance(30);
    return { ...person, secret, recoveryCodes: confirmed.json().recoveryCodes };
  }

  async function staff(role: StaffRole): Promise<Person> {
    const email = uniqueEmail(role);
    const password = 'Staff-4wT9-pass-qZr8-long';
    const created = await test.container.identity.createStaff({
      email,
      password,
      role,
      fullName: `Test ${role}`,
      country: 'CN',
    });
    const secret = created.totpSecret as string;
    const tokens = await test.anonymous.post('/v1/auth/token', { email, password, mfaCode: codeFor(secret) });
    expect(tokens.statusCode).toBe(200);
    advance(30);
    const client = new Client(test.app, { authorization: `Bearer ${tokens.json().accessToken}` });
    return { client, email, password, userId: created.id, secret, recoveryCodes: created.recoveryCodes };
  }

  const newKey = (admin: Person) =>
    admin.client.post('/v1/admin/api-keys', {
      name: 'order sync',
      scopes: ['orders:read'],
      expiresInDays: 30,
    });

  it('a fresh login counts as recent', async () => {
    const person = await shopper();
    const email = await person.client.post('/v1/me/email', { email: uniqueEmail('moved') });
    expect(email.statusCode).toBe(202);
    const password = await person.client.post('/v1/me/password', {
      currentPassword: person.password,
      newPassword: NEW_PASSWORD,
    });
    expect(password.statusCode).toBe(204);
    const admin = await staff('admin');
    expect((await newKey(admin)).statusCode).toBe(201);
  });

  it('every sensitive route answers 401 IDENTITY_STEP_UP_REQUIRED with the RFC 9470 challenge after five minutes', async () => {
    const person = await shopper(true);
    const admin = await staff('admin');
    const key = (await newKey(admin)).json() as { id: string };
    await age(person.userId);
    await age(admin.userId);

    const refusals: [string, Promise<LightMyRequestResponse>][] = [
      [
        'POST /v1/me/password',
        person.client.post('/v1/me/password', {
          currentPassword: person.password,
          newPassword: NEW_PASSWORD,
        }),
      ],
      ['POST /v1/me/email', person.client.post('/v1/me/email', { email: uniqueEmail('moved') })],
      ['DELETE /v1/me/mfa/totp', person.client.delete('/v1/me/mfa/totp')],
      ['POST /v1/me/mfa/recovery-codes', person.client.post('/v1/me/mfa/recovery-codes')],
      // Starting a new authenticator over an existing one is a change to how the account is protected.
      ['POST /v1/me/mfa/totp', person.client.post('/v1/me/mfa/totp')],
      ['POST /v1/admin/api-keys', newKey(admin)],
      ['DELETE /v1/admin/api-keys/{id}', admin.client.delete(`/v1/admin/api-keys/${key.id}`)],
    ];
    for (const [label, response] of refusals) expectStepUp(await response, label);

    // Nothing happened: the password, the factor, the recovery codes and the key are as they were.
    const status = (await person.client.get('/v1/me/mfa')).json();
    expect(status).toMatchObject({ totp: true, recoveryCodesLeft: 10 });
    const login = await test.anonymous.post('/v1/auth/token', {
      email: person.email,
      password: person.password,
      mfaCode: codeFor(person.secret as string),
    });
    expect(login.statusCode).toBe(200);
    const keys = (await admin.client.get('/v1/admin/api-keys')).json().items as {
      id: string;
      revokedAt: null;
    }[];
    expect(keys.find((k) => k.id === key.id)?.revokedAt).toBeNull();
    // Reading is not sensitive: the aged sessions still do that.
    expect((await person.client.get('/v1/me')).statusCode).toBe(200);
  });

  it('every route that declares step-up refuses an old authentication, whoever may call it', async () => {
    const person = await shopper();
    const people = new Map<StaffRole, Person>();
    const declared = test.app.declaredRoutes.filter(
      (route) => !('public' in route.access) && route.access.stepUp && route.method !== 'HEAD',
    );
    const names = declared.map((route) => `${route.method} ${route.url}`);
    for (const expected of [
      'POST /v1/me/password',
      'POST /v1/me/email',
      'DELETE /v1/me/mfa/totp',
      'POST /v1/me/mfa/recovery-codes',
      'POST /v1/admin/api-keys',
      'DELETE /v1/admin/api-keys/:id',
      'POST /v1/staff/customers/:id/reveal',
    ]) {
      expect(names).toContain(expected);
    }
    await age(person.userId);
    for (const route of declared) {
      let caller = person;
      if ('permission' in route.access) {
        const permission = route.access.permission;
        const role = STAFF_ROLES.find((r) => (ROLE_PERMISSIONS[r] as readonly string[]).includes(permission));
        expect(role, route.url).toBeDefined();
        const member = people.get(role as StaffRole) ?? (await staff(role as StaffRole));
        people.set(role as StaffRole, member);
        await age(member.userId);
        caller = member;
      }
      const url = route.url.replace(/:[A-Za-z]+/g, 'x');
      expectStepUp(
        await caller.client.request(route.method as 'POST', url, {}),
        `${route.method} ${route.url}`,
      );
    }
  });

  it('the window is five minutes from the login: at 299 seconds allowed, at 301 refused', async () => {
    const person = await shopper(true);
    // Enrolment counted as an authentication; the helper then moved the clock 30 s.
    await age(person.userId, 0);
    advance(299);
    expect((await person.client.post('/v1/me/mfa/recovery-codes')).statusCode).toBe(200);
    advance(2);
    expectStepUp(await person.client.post('/v1/me/mfa/recovery-codes'));
  });

  it('without a second factor, the password reopens sensitive actions for five minutes', async () => {
    const person = await shopper();
    await age(person.userId);
    expectStepUp(await person.client.post('/v1/me/email', { email: uniqueEmail('moved') }));

    const wrong = await person.client.post('/v1/auth/step-up', { password: 'not my password at all' });
    const wrongProblem = expectProblem(wrong, 401);
    expect(wrongProblem.code).toBe('IDENTITY_INVALID_CREDENTIALS');
    expect(wrongProblem.errors?.[0]?.field).toBe('body.password');
    const codeOnly = await person.client.post('/v1/auth/step-up', { code: '123456' });
    expect(expectProblem(codeOnly, 401).errors?.[0]?.field).toBe('body.password');
    expectStepUp(await person.client.post('/v1/me/email', { email: uniqueEmail('moved') }));

    const stepUp = await person.client.post('/v1/auth/step-up', { password: person.password });
    expect(stepUp.statusCode).toBe(200);
    const { authenticatedAt, validUntil } = stepUp.json() as { authenticatedAt: string; validUntil: string };
    expect(new Date(validUntil).getTime() - new Date(authenticatedAt).getTime()).toBe(300_000);
    expect(Math.abs(new Date(authenticatedAt).getTime() - clock.now().getTime())).toBeLessThan(5_000);
    expect((await person.client.post('/v1/me/email', { email: uniqueEmail('moved') })).statusCode).toBe(202);
    const changed = await person.client.post('/v1/me/password', {
      currentPassword: person.password,
      newPassword: NEW_PASSWORD,
    });
    expect(changed.statusCode).toBe(204);
  });

  it('with a second factor, only a code reopens them: the password alone is refused', async () => {
    const person = await shopper(true);
    await age(person.userId);
    const withPassword = await person.client.post('/v1/auth/step-up', { password: person.password });
    const problem = expectProblem(withPassword, 401);
    expect(problem.code).toBe('IDENTITY_INVALID_MFA_CODE');
    expect(problem.errors?.[0]?.field).toBe('body.code');
    expectStepUp(await person.client.post('/v1/me/mfa/recovery-codes'));

    const wrongCode = await person.client.post('/v1/auth/step-up', {
      code: codeFor(person.secret as string).replace(/\d/g, (d) => String((Number(d) + 5) % 10)),
    });
    expect(expectProblem(wrongCode, 401).code).toBe('IDENTITY_INVALID_MFA_CODE');

    const withCode = await person.client.post('/v1/auth/step-up', {
      password: person.password,
      code: codeFor(person.secret as string),
    });
    expect(withCode.statusCode).toBe(200);
    const regenerated = await person.client.post('/v1/me/mfa/recovery-codes');
    expect(regenerated.statusCode).toBe(200);
    const [rotated] = regenerated.json().recoveryCodes as [string];

    // A recovery code is a second factor too.
    await age(person.userId);
    expectStepUp(await person.client.delete('/v1/me/mfa/totp'));
    const recovery = await person.client.post('/v1/auth/step-up', { code: rotated });
    expect(recovery.statusCode).toBe(200);
    expect((await person.client.delete('/v1/me/mfa/totp')).statusCode).toBe(204);
    expect((await person.client.get('/v1/me/mfa')).json()).toMatchObject({
      totp: false,
      recoveryCodesLeft: 0,
    });
  });

  it('a step-up opens the window for its own session only', async () => {
    const person = await shopper();
    const second = await test.anonymous.post('/v1/auth/token', {
      email: person.email,
      password: person.password,
    });
    const other = new Client(test.app, { authorization: `Bearer ${second.json().accessToken}` });
    await age(person.userId);
    expect((await person.client.post('/v1/auth/step-up', { password: person.password })).statusCode).toBe(
      200,
    );
    expect((await person.client.post('/v1/me/email', { email: uniqueEmail('moved') })).statusCode).toBe(202);
    expectStepUp(await other.post('/v1/me/email', { email: uniqueEmail('moved') }));
  });

  it('an admin steps up with a code to create and revoke API keys', async () => {
    const admin = await staff('admin');
    await age(admin.userId);
    expectStepUp(await newKey(admin));
    expect((await admin.client.get('/v1/admin/api-keys')).statusCode).toBe(200);
    const refused = await admin.client.post('/v1/auth/step-up', { password: admin.password });
    expect(expectProblem(refused, 401).code).toBe('IDENTITY_INVALID_MFA_CODE');
    const stepUp = await admin.client.post('/v1/auth/step-up', { code: codeFor(admin.secret as string) });
    expect(stepUp.statusCode).toBe(200);
    const created = await newKey(admin);
    expect(created.statusCode).toBe(201);
    expect((await admin.client.delete(`/v1/admin/api-keys/${created.json().id}`)).statusCode).toBe(204);
  });

  it('revealing a customer’s personal data needs a recent authentication', async () => {
    const customer = await shopper();
    const support = await staff('support');
    const body = { fields: ['email'], reason: 'Customer asked by phone to confirm the address on file' };
    await age(support.userId);
    expectStepUp(await support.client.post(`/v1/staff/customers/${customer.userId}/reveal`, body));
    const stepUp = await support.client.post('/v1/auth/step-up', { code: codeFor(support.secret as string) });
    expect(stepUp.statusCode).toBe(200);
    const revealed = await support.client.post(`/v1/staff/customers/${customer.userId}/reveal`, body);
    expect(revealed.statusCode).toBe(200);
    expect(JSON.stringify(revealed.json())).toContain(customer.email);
  });

  it('wrong step-up passwords are throttled per account', async () => {
    const person = await shopper();
    for (let i = 0; i < 5; i += 1) {
      expectProblem(await person.client.post('/v1/auth/step-up', { password: `wrong password ${i}` }), 401);
    }
    const throttled = await person.client.post('/v1/auth/step-up', { password: person.password });
    expect(expectProblem(throttled, 429).code).toBe('IDENTITY_THROTTLED');
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('step-up needs a logged-in person', async () => {
    const anonymous = await test.anonymous.post('/v1/auth/step-up', { password: 'whatever password' });
    expect(expectProblem(anonymous, 401).code).toBe('IDENTITY_UNAUTHENTICATED');
    const empty = await (await shopper()).client.post('/v1/auth/step-up', {});
    expect(expectProblem(empty, 400).code).toBe('PLATFORM_VALIDATION_FAILED');
  });
});
