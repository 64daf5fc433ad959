import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MailCatcher, startMailCatcher } from '../helpers/mail-catcher.ts';
import {
  backdateAuthentication,
  createTestApp,
  expectProblem,
  signUp,
  type TestApp,
} from '../helpers/test-app.ts';

/*
 * The anti-phishing phrase: a person chooses words only they know; every genuine e-mail shows them first,
 * so a look-alike mail without them gives itself away. Stored sealed, changed only after a fresh login.
 */

const FAST = { pollIntervalMs: 30, backoffBaseMs: 30, backoffMaxMs: 60 } as const;
const SUBJECT = 'Reset your Bulwark password';

describe('anti-phishing phrase', () => {
  let catcher: MailCatcher;
  let test: TestApp;

  beforeAll(async () => {
    catcher = await startMailCatcher();
    test = await createTestApp({ BULWARK_SMTP_URL: catcher.url, BULWARK_PUBLIC_URL: 'https://shop.example' });
    test.container.notify.startDelivery({ ...FAST, log: test.app.log });
  });
  afterAll(async () => {
    await test.close();
    await catcher.close();
  });

  const resetMail = async (email: string) => {
    const asked = await test.anonymous.post('/v1/auth/password-reset', { email });
    expect(asked.statusCode, asked.body).toBeLessThan(300);
    return catcher.waitFor((mail) => mail.to.includes(email.toLowerCase()) && mail.subject === SUBJECT);
  };

  it('every e-mail shows the phrase first; a person without one gets none', async () => {
    const shopper = await signUp(test);
    const phrase = 'purple heron at dawn';
    const set = await shopper.client.put('/v1/me/anti-phishing', { phrase });
    expect(set.statusCode, set.body).toBe(204);
    expect((await shopper.client.get('/v1/me/anti-phishing')).json()).toEqual({ phrase });

    const mail = await resetMail(shopper.email);
    expect(mail.text.trimStart().startsWith(`Your anti-phishing phrase: ${phrase}`)).toBe(true);
    // A reset link resets a password; nothing in the mail signs anyone in.
    expect(mail.text).not.toMatch(/\/(login|token|session)\b/i);

    const other = await signUp(test);
    expect((await other.client.get('/v1/me/anti-phishing')).json()).toEqual({ phrase: null });
    const plain = await resetMail(other.email);
    expect(plain.text).not.toContain('anti-phishing phrase');
  });

  it('is stored sealed, changed only after a fresh login, removed on request, and checked for length', async () => {
    const shopper = await signUp(test);
    const phrase = 'seven copper lanterns';
    expect((await shopper.client.put('/v1/me/anti-phishing', { phrase })).statusCode).toBe(204);
    const { rows } = await sql<{ value: string | null }>`
      select anti_phishing_enc as value from users where id = ${shopper.userId}`.execute(
      test.container.database.db,
    );
    expect(rows[0]?.value).toBeTruthy();
    expect(rows[0]?.value).not.toContain('copper');

    expectProblem(await shopper.client.put('/v1/me/anti-phishing', { phrase: 'ab' }), 400);
    await backdateAuthentication(test, shopper.userId, 3_600);
    const late = expectProblem(
      await shopper.client.put('/v1/me/anti-phishing', { phrase: 'a new one' }),
      401,
    );
    expect(late.code).toBe('IDENTITY_STEP_UP_REQUIRED');
    expect((await shopper.client.get('/v1/me/anti-phishing')).json()).toEqual({ phrase });
    expectProblem(await shopper.client.delete('/v1/me/anti-phishing'), 401);
    expectProblem(await test.anonymous.get('/v1/me/anti-phishing'), 401);
  });

  it('a fresh login may remove it', async () => {
    const shopper = await signUp(test);
    await shopper.client.put('/v1/me/anti-phishing', { phrase: 'quiet orange tide' });
    expect((await shopper.client.delete('/v1/me/anti-phishing')).statusCode).toBe(204);
    expect((await shopper.client.get('/v1/me/anti-phishing')).json()).toEqual({ phrase: null });
  });
});
