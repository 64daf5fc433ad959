import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CaughtMail, linkToken, type MailCatcher, startMailCatcher } from '../helpers/mail-catcher.ts';
import {
  Client,
  createTestApp,
  expectProblem,
  logIn,
  type Shopper,
  signUp,
  type TestApp,
  totpCode,
  uniqueEmail,
} from '../helpers/test-app.ts';

// Recovery through the mailbox, end to end: the API answers, the outbox records, the delivery worker sends
// over SMTP, and the test reads the mail a person would get and follows its links.

const PUBLIC_URL = 'https://shop.example';
const FAST = { pollIntervalMs: 30, backoffBaseMs: 30, backoffMaxMs: 60 } as const;
const NEW_PASSWORD = 'violet kettle drums under marzipan';
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

const SUBJECTS = {
  reset: 'Reset your Bulwark password',
  resetUnknown: 'Bulwark password reset request',
  change: 'A security setting of your Bulwark account changed',
  alert: 'New sign-in to your Bulwark account',
  confirmNew: 'Confirm your new e-mail address',
  approveOld: 'Approve the change of your e-mail address',
} as const;

/** A well-formed link token that was never issued. */
const forgedToken = (prefix = 'bw_pr') => `${prefix}_${randomBytes(32).toString('base64url')}`;

let networks = 0;
/** A fresh public /24 for each use: wrong links are counted per network, and each test keeps its own. */
const freshNetwork = () => {
  networks += 1;
  return `198.51.${networks}.7`;
};

describe('recovery, notices and alerts, through the mailbox', () => {
  let catcher: MailCatcher;
  let test: TestApp;

  beforeAll(async () => {
    catcher = await startMailCatcher();
    test = await createTestApp({ BULWARK_SMTP_URL: catcher.url, BULWARK_PUBLIC_URL: PUBLIC_URL });
    test.container.notify.startDelivery({ ...FAST, log: test.app.log });
  });
  afterAll(async () => {
    await test.close();
    await catcher.close();
  });

  /** A POST from a chosen address and browser, as a person following a link or logging in would send it. */
  const post = (url: string, body: unknown, options: { ip?: string; userAgent?: string } = {}) =>
    test.app.inject({
      method: 'POST',
      url,
      payload: body as object,
      remoteAddress: options.ip ?? '127.0.0.1',
      headers: options.userAgent ? { 'user-agent': options.userAgent } : {},
    });

  const mailTo = (address: string, subject: string, contains = '') =>
    catcher.waitFor(
      (mail) =>
        mail.to.includes(address.toLowerCase()) && mail.subject === subject && mail.text.includes(contains),
    );

  /** The templates recorded for the user so far, oldest first (the outbox row exists once the change commits). */
  const outboxTemplates = async (userId: string) =>
    (
      await test.container.database.db
        .selectFrom('outbox')
        .select(['template', 'createdAt'])
        .where('userId', '=', userId)
        .orderBy('createdAt')
        .execute()
    ).map((row) => row.template);

  async function resetLink(email: string, ip?: string): Promise<{ mail: CaughtMail; token: string }> {
    const before = catcher.messages.length;
    const response = await post('/v1/auth/password-reset', { email }, ip ? { ip } : {});
    expect(response.statusCode).toBe(202);
    const mail = await catcher.waitFor(
      (m) => catcher.messages.indexOf(m) >= before && m.to.includes(email) && m.subject === SUBJECTS.reset,
    );
    const token = linkToken(mail, 'reset-password');
    expect(token).toMatch(/^bw_pr_[A-Za-z0-9_-]{43}$/);
    return { mail, token: token as string };
  }

  it('a reset request answers the same for a known and an unknown address, and mails both', async () => {
    const shopper = await signUp(test);
    const unknown = uniqueEmail('nobody');
    const known = await post('/v1/auth/password-reset', { email: shopper.email });
    const stranger = await post('/v1/auth/password-reset', { email: unknown });
    expect(known.statusCode).toBe(202);
    expect(stranger.statusCode).toBe(202);
    expect(known.body).toBe(stranger.body);
    expect(known.json()).toEqual({ status: 'accepted', message: expect.stringContaining('15 minutes') });

    const toKnown = await mailTo(shopper.email, SUBJECTS.reset);
    expect(toKnown.text).toContain(`${PUBLIC_URL}/reset-password#token=bw_pr_`);
    const toStranger = await mailTo(unknown, SUBJECTS.resetUnknown);
    expect(toStranger.text).toContain('it has no account');
    expect(toStranger.text).not.toContain('#token=');
  });

  it('a reset link works once, ends every session at once, and only the new password logs in', async () => {
    const shopper = await signUp(test);
    const web = await post('/v1/auth/login', { email: shopper.email, password: shopper.password });
    const cookie = String(web.headers['set-cookie']).split(';')[0] as string;
    const { token } = await resetLink(shopper.email);

    const confirmed = await post('/v1/auth/password-reset/confirm', { token, password: NEW_PASSWORD });
    expect(confirmed.statusCode).toBe(204);
    const revokedAt = performance.now();
    const oldBearer = await shopper.client.get('/v1/me');
    const elapsed = performance.now() - revokedAt;
    expect(expectProblem(oldBearer, 401).code).toBe('IDENTITY_UNAUTHENTICATED');
    expect(elapsed).toBeLessThan(1000);
    expectProblem(await new Client(test.app, { cookie }).get('/v1/me'), 401);

    const again = await post('/v1/auth/password-reset/confirm', {
      token,
      password: 'another new passphrase 42',
    });
    expect(expectProblem(again, 400).code).toBe('IDENTITY_INVALID_TOKEN');

    const old = await post('/v1/auth/token', { email: shopper.email, password: shopper.password });
    expect(expectProblem(old, 401).code).toBe('IDENTITY_INVALID_CREDENTIALS');
    const fresh = await logIn(test, shopper.email, NEW_PASSWORD);
    expect((await fresh.client.get('/v1/me')).json().id).toBe(shopper.userId);

    const notice = await mailTo(shopper.email, SUBJECTS.change, 'Your password was reset');
    expect(notice.text).not.toContain(NEW_PASSWORD);
  });

  it('a reset link lives 15 minutes', async () => {
    const shopper = await signUp(test);
    const { token } = await resetLink(shopper.email);
    const db = test.container.database.db;
    const row = await db
      .selectFrom('oneTimeTokens')
      .select(['createdAt', 'expiresAt'])
      .where('userId', '=', shopper.userId)
      .where('purpose', '=', 'password_reset')
      .where('usedAt', 'is', null)
      .executeTakeFirstOrThrow();
    const lifetime = row.expiresAt.getTime() - row.createdAt.getTime();
    expect(Math.abs(lifetime - 15 * 60_000)).toBeLessThan(2_000);

    // Fifteen minutes later (the link's expiry moved into the past), it no longer works.
    await db
      .updateTable('oneTimeTokens')
      .set({ expiresAt: new Date(Date.now() - 1) })
      .where('userId', '=', shopper.userId)
      .where('purpose', '=', 'password_reset')
      .execute();
    const late = await post(
      '/v1/auth/password-reset/confirm',
      { token, password: NEW_PASSWORD },
      { ip: freshNetwork() },
    );
    expect(expectProblem(late, 400).code).toBe('IDENTITY_INVALID_TOKEN');
    expect((await shopper.client.get('/v1/me')).statusCode).toBe(200);
    const old = await post('/v1/auth/token', { email: shopper.email, password: shopper.password });
    expect(old.statusCode).toBe(200);
  });

  it('wrong link tokens are throttled per network: the eleventh try is a 429, even with a right token', async () => {
    const shopper = await signUp(test);
    const { token } = await resetLink(shopper.email);
    const ip = freshNetwork();
    for (let i = 0; i < 10; i += 1) {
      const wrong = await post(
        '/v1/auth/password-reset/confirm',
        { token: forgedToken(), password: NEW_PASSWORD },
        { ip },
      );
      expect(expectProblem(wrong, 400).code).toBe('IDENTITY_INVALID_TOKEN');
    }
    const throttled = await post(
      '/v1/auth/password-reset/confirm',
      { token, password: NEW_PASSWORD },
      { ip },
    );
    expect(expectProblem(throttled, 429).code).toBe('IDENTITY_THROTTLED');
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The same /24 is one network; the not-me and e-mail links share the budget.
    const neighbour = ip.replace(/\.7$/, '.200');
    expectProblem(await post('/v1/auth/not-me', { token: forgedToken('bw_nm') }, { ip: neighbour }), 429);
    expectProblem(
      await post('/v1/auth/email-change/confirm', { token: forgedToken('bw_ec') }, { ip: neighbour }),
      429,
    );
    // Another network is not held back, and the right link was not spent.
    const elsewhere = await post(
      '/v1/auth/password-reset/confirm',
      { token, password: NEW_PASSWORD },
      { ip: freshNetwork() },
    );
    expect(elsewhere.statusCode).toBe(204);
  });

  it('a forged or used not-me or e-mail link is a 400 like a reset link, and is counted the same', async () => {
    const ip = freshNetwork();
    const links = [
      ['/v1/auth/not-me', { token: forgedToken('bw_nm') }],
      ['/v1/auth/email-change/confirm', { token: forgedToken('bw_ec') }],
      ['/v1/auth/password-reset/confirm', { token: forgedToken(), password: NEW_PASSWORD }],
    ] as const;
    for (let round = 0; round < 3; round += 1) {
      for (const [url, body] of links) {
        const response = await post(url, body, { ip });
        expect(expectProblem(response, 400).code, `${url} #${round}`).toBe('IDENTITY_INVALID_TOKEN');
      }
    }
    // Nine wrong links so far on this network: one more is allowed, then the network waits.
    expectProblem(await post('/v1/auth/not-me', { token: forgedToken('bw_nm') }, { ip }), 400);
    expectProblem(await post('/v1/auth/not-me', { token: forgedToken('bw_nm') }, { ip }), 429);
  });

  it('reset requests per address are limited: the fourth in an hour is a 429, for unknown addresses alike', async () => {
    const shopper = await signUp(test);
    const unknown = uniqueEmail('nobody');
    const answers: Record<string, { status: number; body: unknown; retryAfter: unknown }[]> = {};
    for (const email of [shopper.email, unknown]) {
      answers[email] = [];
      for (let i = 0; i < 4; i += 1) {
        const response = await post('/v1/auth/password-reset', { email }, { ip: freshNetwork() });
        const { requestId: _ignored, ...body } = response.json();
        answers[email]?.push({
          status: response.statusCode,
          body,
          retryAfter: response.headers['retry-after'],
        });
      }
    }
    expect(answers[shopper.email]?.map((a) => a.status)).toEqual([202, 202, 202, 429]);
    expect(answers[unknown]).toEqual(answers[shopper.email]);
    expect(answers[unknown]?.[3]?.body).toMatchObject({ code: 'IDENTITY_THROTTLED' });
    // Three mails each, not four.
    await mailTo(unknown, SUBJECTS.resetUnknown);
    await test.container.notify.deliverDue();
    const resets = await outboxTemplates(shopper.userId);
    expect(resets.filter((t) => t === 'password_reset')).toHaveLength(3);
  });

  it('every change to the password, e-mail, phone or second factor is mailed to the owner', async () => {
    const shopper = await signUp(test);
    const changed = (text: string) => mailTo(shopper.email, SUBJECTS.change, text);

    expect((await shopper.client.patch('/v1/me', { phone: '+4915123456789' })).statusCode).toBe(200);
    await changed('The phone number of your account was changed.');

    const { secret } = (await shopper.client.post('/v1/me/mfa/totp')).json() as { secret: string };
    expect(
      (await shopper.client.post('/v1/me/mfa/totp/confirm', { code: totpCode(secret) })).statusCode,
    ).toBe(200);
    await changed('Two-step sign-in with an authenticator app was turned on.');
    expect((await shopper.client.post('/v1/me/mfa/recovery-codes')).statusCode).toBe(200);
    await changed('New recovery codes were made; the old ones no longer work.');
    expect((await shopper.client.delete('/v1/me/mfa/totp')).statusCode).toBe(204);
    await changed('Two-step sign-in with an authenticator app was turned off.');

    const password = await shopper.client.post('/v1/me/password', {
      currentPassword: shopper.password,
      newPassword: NEW_PASSWORD,
    });
    expect(password.statusCode).toBe(204);
    await changed('Your password was changed.');

    // A name change is not a security change: no notice for it.
    expect((await shopper.client.patch('/v1/me', { fullName: 'Renamed Shopper' })).statusCode).toBe(200);
    expect((await outboxTemplates(shopper.userId)).filter((t) => t === 'security_change')).toHaveLength(5);
  });

  describe('e-mail change', () => {
    async function requestMove(shopper: Shopper) {
      const target = uniqueEmail('moved');
      expect((await shopper.client.post('/v1/me/email', { email: target })).statusCode).toBe(202);
      const toNew = await mailTo(target, SUBJECTS.confirmNew);
      const toOld = await mailTo(shopper.email, SUBJECTS.approveOld);
      const newToken = linkToken(toNew, 'confirm-email') as string;
      const oldToken = linkToken(toOld, 'confirm-email') as string;
      expect(newToken).toMatch(/^bw_ec_/);
      expect(oldToken).toMatch(/^bw_ec_/);
      expect(newToken).not.toBe(oldToken);
      return { target, newToken, oldToken };
    }

    const canLogIn = async (email: string, password: string) =>
      (await post('/v1/auth/token', { email, password })).statusCode === 200;

    it('needs both links; after both, only the new address logs in and both addresses are told', async () => {
      const shopper = await signUp(test);
      const { target, newToken, oldToken } = await requestMove(shopper);
      const ip = freshNetwork();

      const first = await post('/v1/auth/email-change/confirm', { token: newToken }, { ip });
      expect(first.json()).toEqual({ completed: false });
      expect((await shopper.client.get('/v1/me')).json().email).toBe(shopper.email);
      expect(await canLogIn(target, shopper.password)).toBe(false);
      expect(await canLogIn(shopper.email, shopper.password)).toBe(true);
      // A link works once.
      const reused = await post('/v1/auth/email-change/confirm', { token: newToken }, { ip });
      expect(expectProblem(reused, 400).code).toBe('IDENTITY_INVALID_TOKEN');

      const second = await post('/v1/auth/email-change/confirm', { token: oldToken }, { ip });
      expect(second.json()).toEqual({ completed: true });
      expect((await shopper.client.get('/v1/me')).json().email).toBe(target);
      expect(await canLogIn(target, shopper.password)).toBe(true);
      expect(await canLogIn(shopper.email, shopper.password)).toBe(false);

      const told = 'The e-mail address of your account was changed.';
      await mailTo(shopper.email, SUBJECTS.change, told);
      await mailTo(target, SUBJECTS.change, told);
    });

    it('the current address’s approval alone changes nothing either', async () => {
      const shopper = await signUp(test);
      const { target, oldToken } = await requestMove(shopper);
      const approved = await post(
        '/v1/auth/email-change/confirm',
        { token: oldToken },
        { ip: freshNetwork() },
      );
      expect(approved.json()).toEqual({ completed: false });
      expect((await shopper.client.get('/v1/me')).json().email).toBe(shopper.email);
      expect(await canLogIn(target, shopper.password)).toBe(false);
      expect(await canLogIn(shopper.email, shopper.password)).toBe(true);
    });
  });

  describe('new-device alerts and “this wasn’t me”', () => {
    it('the first login sends no alert; a login from another browser and system does, once', async () => {
      const email = uniqueEmail();
      const password = 'correct horse battery staple';
      const registered = await post('/v1/auth/register', {
        email,
        password,
        fullName: 'Alert Shopper',
        country: 'PL',
      });
      expect(registered.statusCode).toBe(201);
      const firstLogin = await post('/v1/auth/token', { email, password }, { userAgent: FIREFOX_LINUX });
      expect(firstLogin.statusCode).toBe(200);
      const client = new Client(test.app, { authorization: `Bearer ${firstLogin.json().accessToken}` });
      const userId = (await client.get('/v1/me')).json().id as string;
      expect(await outboxTemplates(userId)).toEqual(['welcome']);

      // The same browser again (a newer version): familiar, no alert.
      const sameDevice = FIREFOX_LINUX.replaceAll('133.0', '134.0');
      expect((await post('/v1/auth/token', { email, password }, { userAgent: sameDevice })).statusCode).toBe(
        200,
      );
      expect(await outboxTemplates(userId)).toEqual(['welcome']);

      const elsewhere = await post(
        '/v1/auth/token',
        { email, password },
        { userAgent: CHROME_WINDOWS, ip: '80.130.0.1' },
      );
      expect(elsewhere.statusCode).toBe(200);
      const alert = await mailTo(email, SUBJECTS.alert);
      expect(alert.text).toContain('Device: Chrome on Windows');
      expect(alert.text).toContain('Approximate place: Germany');
      expect(linkToken(alert, 'not-me')).toMatch(/^bw_nm_[A-Za-z0-9_-]{43}$/);

      expect(
        (await post('/v1/auth/token', { email, password }, { userAgent: CHROME_WINDOWS })).statusCode,
      ).toBe(200);
      expect((await outboxTemplates(userId)).filter((t) => t === 'login_alert')).toHaveLength(1);
    });

    it('“not me” ends every session and demands a password reset, whose link arrives by mail', async () => {
      const email = uniqueEmail();
      const password = 'correct horse battery staple';
      await post('/v1/auth/register', { email, password, fullName: 'Careful Shopper', country: 'PL' });
      const mine = await post('/v1/auth/token', { email, password }, { userAgent: FIREFOX_LINUX });
      const owner = new Client(test.app, { authorization: `Bearer ${mine.json().accessToken}` });
      const intruder = await post('/v1/auth/token', { email, password }, { userAgent: CHROME_WINDOWS });
      const stolen = new Client(test.app, { authorization: `Bearer ${intruder.json().accessToken}` });
      const alert = await mailTo(email, SUBJECTS.alert);
      const notMe = linkToken(alert, 'not-me') as string;

      const before = catcher.messages.length;
      const ip = freshNetwork();
      expect((await post('/v1/auth/not-me', { token: notMe }, { ip })).statusCode).toBe(204);
      expectProblem(await stolen.get('/v1/me'), 401);
      expectProblem(await owner.get('/v1/me'), 401);
      expectProblem(await post('/v1/auth/refresh', { refreshToken: intruder.json().refreshToken }), 401);
      // The link works once.
      expect(expectProblem(await post('/v1/auth/not-me', { token: notMe }, { ip }), 400).code).toBe(
        'IDENTITY_INVALID_TOKEN',
      );

      // The right password no longer logs in, in either mode, until a reset; a wrong one is just wrong.
      for (const route of ['/v1/auth/token', '/v1/auth/login']) {
        const refused = await post(route, { email, password }, { userAgent: FIREFOX_LINUX });
        expect(expectProblem(refused, 403).code).toBe('IDENTITY_PASSWORD_RESET_REQUIRED');
      }
      const wrong = await post('/v1/auth/token', { email, password: 'not the password at all' });
      expect(expectProblem(wrong, 401).code).toBe('IDENTITY_INVALID_CREDENTIALS');

      await mailTo(email, SUBJECTS.change, 'Every session of your account was signed out.');
      const reset = await catcher.waitFor(
        (m) => catcher.messages.indexOf(m) >= before && m.to.includes(email) && m.subject === SUBJECTS.reset,
      );
      const token = linkToken(reset, 'reset-password') as string;
      expect(
        (await post('/v1/auth/password-reset/confirm', { token, password: NEW_PASSWORD }, { ip })).statusCode,
      ).toBe(204);
      expect((await post('/v1/auth/token', { email, password: NEW_PASSWORD })).statusCode).toBe(200);
      expectProblem(await post('/v1/auth/token', { email, password }), 401);
    });
  });
});
