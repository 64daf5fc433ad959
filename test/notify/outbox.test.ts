import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { type Container, createContainer } from '../../src/container.ts';
import type { IdentityMessage, Recipient } from '../../src/modules/identity/messenger.ts';
import { ephemeralRootKey } from '../../src/modules/vault/index.ts';
import { withTransaction } from '../../src/platform/db/index.ts';
import type { UserId } from '../../src/platform/ids.ts';
import { linkToken, type MailCatcher, startMailCatcher } from '../helpers/mail-catcher.ts';
import { freePort } from '../helpers/spawn-bulwark.ts';
import {
  createTestApp,
  expectProblem,
  type Shopper,
  signUp,
  type TestApp,
  uniqueEmail,
} from '../helpers/test-app.ts';
import { createPostgresDatabase, engine } from '../helpers/test-database.ts';

const PUBLIC_URL = 'https://shop.example';
// Fast retries so a test sees several attempts in well under a second.
const FAST = { pollIntervalMs: 30, backoffBaseMs: 30, backoffMaxMs: 60 } as const;

const secret = (label: string) => `${label}-${randomBytes(16).toString('hex')}`;
const inAnHour = () => new Date(Date.now() + 3_600_000);
const reset = (token: string): IdentityMessage => ({
  template: 'password_reset',
  token,
  expiresAt: inAnHour(),
});

function send(container: Container, to: Recipient, message: IdentityMessage): Promise<unknown> {
  return withTransaction(container.database.db, (trx) => container.notify.messenger.send(trx, to, message));
}

async function outboxRows(container: Container, where: { userId?: string; id?: string } = {}) {
  let query = container.database.db.selectFrom('outbox').selectAll();
  if (where.userId) query = query.where('userId', '=', where.userId);
  if (where.id) query = query.where('id', '=', where.id);
  return query.execute();
}

/** Every column of every row of the notify tables, as text, for scanning. */
async function rawTables(container: Container): Promise<string> {
  const outbox = await sql`select * from outbox`.execute(container.database.db);
  const notices = await sql`select * from notices`.execute(container.database.db);
  return JSON.stringify([outbox.rows, notices.rows]);
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('outbox with a mail server: transactional, delivered, encrypted', () => {
  let catcher: MailCatcher;
  let test: TestApp;
  let shopper: Shopper;

  beforeAll(async () => {
    catcher = await startMailCatcher();
    test = await createTestApp({ BULWARK_SMTP_URL: catcher.url, BULWARK_PUBLIC_URL: PUBLIC_URL });
    test.container.notify.startDelivery({ ...FAST, log: test.app.log });
    shopper = await signUp(test);
  });
  afterAll(async () => {
    await test.close();
    await catcher.close();
  });

  it('a message sent in a transaction that rolls back is never recorded nor delivered', async () => {
    const token = secret('rolled-back');
    const before = (await outboxRows(test.container, { userId: shopper.userId })).length;
    await expect(
      withTransaction(test.container.database.db, async (trx) => {
        await test.container.notify.messenger.send(trx, { userId: shopper.userId as UserId }, reset(token));
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await test.container.notify.deliverDue();
    expect((await outboxRows(test.container, { userId: shopper.userId })).length).toBe(before);
    const notices = (await shopper.client.get('/v1/me/notices')).json().items as { template: string }[];
    expect(notices.filter((n) => n.template === 'password_reset')).toHaveLength(0);
    expect(catcher.messages.some((mail) => mail.raw.includes(token))).toBe(false);
  });

  it('a committed message is delivered to the account address with its link in the URL fragment', async () => {
    const token = secret('reset');
    await send(test.container, { userId: shopper.userId as UserId }, reset(token));
    const mail = await catcher.waitFor((m) => m.text.includes(token));
    expect(mail.to).toEqual([shopper.email.toLowerCase()]);
    expect(mail.subject).toBe('Reset your Bulwark password');
    expect(mail.text).toContain(`${PUBLIC_URL}/reset-password#token=${token}`);
    expect(linkToken(mail, 'reset-password')).toBe(token);
    expect(mail.html).toContain(`href="${PUBLIC_URL}/reset-password#token=${token}"`);
    expect(mail.text).toContain(`${PUBLIC_URL}/support`);
    expect(mail.raw).not.toContain(shopper.password);

    const row = await until(
      async () =>
        (await outboxRows(test.container, { userId: shopper.userId })).find(
          (r) => r.template === 'password_reset',
        ),
      (r) => r?.status === 'sent',
    );
    expect(row).toMatchObject({ status: 'sent', attempts: 1, payloadEnc: null, lastErrorCode: null });
    expect(row?.sentAt).toBeInstanceOf(Date);
    // Nothing about the message reached a log line but its ID, template and outcome.
    const logs = test.logs.join('\n');
    expect(logs).toContain('e-mail sent');
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(shopper.email);
  });

  it('the login alert names the device, the approximate place and the time, with a not-me link', async () => {
    const notMe = secret('not-me');
    const at = new Date('2026-11-29T14:03:00Z');
    await send(
      test.container,
      { userId: shopper.userId as UserId },
      { template: 'login_alert', device: 'Firefox 133 on Linux', place: 'Warsaw, PL', at, notMeToken: notMe },
    );
    const mail = await catcher.waitFor((m) => m.text.includes(notMe));
    expect(mail.text).toContain('Firefox 133 on Linux');
    expect(mail.text).toContain('Warsaw, PL');
    expect(mail.text).toContain('2026-11-29 14:03 UTC');
    expect(linkToken(mail, 'not-me')).toBe(notMe);
  });

  it('a bare-address message is sealed under its own key, which is shredded once it is delivered', async () => {
    const address = uniqueEmail('stranger');
    await send(test.container, { address }, { template: 'password_reset_unknown' });
    const mail = await catcher.waitFor((m) => m.to.includes(address.toLowerCase()));
    expect(mail.subject).toBe('Bulwark password reset request');
    const row = await until(
      async () =>
        (await outboxRows(test.container)).find(
          (r) => r.userId === null && r.template === 'password_reset_unknown',
        ),
      (r) => r?.status === 'sent',
    );
    const key = await test.container.database.db
      .selectFrom('vaultDataKeys')
      .selectAll()
      .where('ownerId', '=', row?.id as string)
      .executeTakeFirstOrThrow();
    expect(key.wrappedKey).toBeNull();
    expect(key.shreddedAt).toBeInstanceOf(Date);
    expect(row?.payloadEnc).toBeNull();
  });
});

describe('outbox without a mail server: e-mail waits, in-app notices appear', () => {
  let test: TestApp;
  let alice: Shopper;
  let bob: Shopper;
  const resetToken = secret('reset');
  const notMe = secret('not-me');

  beforeAll(async () => {
    test = await createTestApp({ BULWARK_PUBLIC_URL: PUBLIC_URL });
    test.container.notify.startDelivery({ ...FAST, log: test.app.log });
    alice = await signUp(test);
    bob = await signUp(test);
    await send(test.container, { userId: alice.userId as UserId }, reset(resetToken));
    await send(
      test.container,
      { userId: alice.userId as UserId },
      {
        template: 'login_alert',
        device: 'Safari 18 on iPhone',
        place: 'Kraków, PL',
        at: new Date('2026-11-29T08:15:00Z'),
        notMeToken: notMe,
      },
    );
    await send(
      test.container,
      { userId: bob.userId as UserId },
      { template: 'security_change', change: 'totp_enabled', at: new Date() },
    );
  });
  afterAll(() => test.close());

  it('e-mail stays pending and is counted', async () => {
    expect(await test.container.notify.deliverDue()).toBe(0);
    const counts = await test.container.notify.outboxCounts();
    expect(counts.pending).toBeGreaterThanOrEqual(3);
    expect(counts.sent).toBe(0);
    const rows = await outboxRows(test.container, { userId: alice.userId });
    expect(rows.every((row) => row.status === 'pending' && row.attempts === 0)).toBe(true);
  });

  it('the outbox and notices hold no plaintext address, token, device or place', async () => {
    const raw = await rawTables(test.container);
    expect(raw).toContain('bw1.');
    for (const plain of [
      alice.email,
      bob.email,
      resetToken,
      notMe,
      'Safari 18',
      'Kraków',
      'reset-password',
    ]) {
      expect(raw).not.toContain(plain);
    }
  });

  it('a shopper reads their own notices, decrypted, and never a link secret', async () => {
    const response = await alice.client.get('/v1/me/notices');
    expect(response.statusCode).toBe(200);
    const { items } = response.json() as {
      items: { id: string; template: string; title: string; text: string; readAt: string | null }[];
    };
    const templates = items.map((item) => item.template);
    expect(templates).toEqual(expect.arrayContaining(['password_reset', 'login_alert']));
    expect(templates).not.toContain('security_change');
    const alert = items.find((item) => item.template === 'login_alert');
    expect(alert?.title).toBe('New sign-in to your Bulwark account');
    expect(alert?.text).toContain('Safari 18 on iPhone');
    expect(alert?.text).toContain('Kraków, PL');
    expect(alert?.text).toContain('2026-11-29 08:15 UTC');
    expect(alert?.readAt).toBeNull();
    expect(response.body).not.toContain(resetToken);
    expect(response.body).not.toContain(notMe);
    expect(response.body).not.toContain('#token=');
  });

  it("another shopper's notice is the same 404 as a missing one, and stays unread", async () => {
    const bobs = (await bob.client.get('/v1/me/notices')).json().items as { id: string; template: string }[];
    const bobNotice = bobs.find((item) => item.template === 'security_change');
    expect(bobNotice).toBeDefined();
    const problem = async (id: string) => {
      const response = await alice.client.post(`/v1/me/notices/${id}/read`);
      expectProblem(response, 404);
      const { requestId: _requestId, ...body } = response.json();
      return body;
    };
    expect(await problem(bobNotice?.id as string)).toEqual(await problem(`ntc_${'0'.repeat(26)}`));
    const after = (await bob.client.get('/v1/me/notices')).json().items as {
      id: string;
      readAt: string | null;
    }[];
    expect(after.find((item) => item.id === bobNotice?.id)?.readAt).toBeNull();
  });

  it('marking a notice read sets readAt once', async () => {
    const [first] = (await alice.client.get('/v1/me/notices?limit=1')).json().items as { id: string }[];
    expect((await alice.client.post(`/v1/me/notices/${first?.id}/read`)).statusCode).toBe(204);
    const readAt = (await alice.client.get('/v1/me/notices?limit=1')).json().items[0].readAt;
    expect(readAt).not.toBeNull();
    expect((await alice.client.post(`/v1/me/notices/${first?.id}/read`)).statusCode).toBe(204);
    expect((await alice.client.get('/v1/me/notices?limit=1')).json().items[0].readAt).toBe(readAt);
  });

  it('notices page newest first', async () => {
    const page = (await alice.client.get('/v1/me/notices?limit=1')).json();
    expect(page.items).toHaveLength(1);
    expect(page.nextCursor).toEqual(expect.any(String));
    const next = (await alice.client.get(`/v1/me/notices?limit=1&cursor=${page.nextCursor}`)).json();
    expect(next.items[0].id).not.toBe(page.items[0].id);
  });
});

describe('outbox when the mail server is down', () => {
  let port: number;
  let test: TestApp;
  let shopper: Shopper;
  let catcher: MailCatcher | null = null;

  beforeAll(async () => {
    port = await freePort();
    test = await createTestApp({
      BULWARK_SMTP_URL: `smtp://127.0.0.1:${port}`,
      BULWARK_PUBLIC_URL: PUBLIC_URL,
    });
    test.container.notify.startDelivery({ ...FAST, maxAttempts: 1000, log: test.app.log });
    shopper = await signUp(test);
  });
  afterAll(async () => {
    await test.close();
    await catcher?.close();
  });

  it('a message stays pending and is retried with an error code, then is delivered once the server is up', async () => {
    const token = secret('retry');
    await send(test.container, { userId: shopper.userId as UserId }, reset(token));
    const resetRow = async () =>
      (await outboxRows(test.container, { userId: shopper.userId })).find(
        (r) => r.template === 'password_reset',
      );
    // Two attempts made and both finished failing (not one still in flight when the server comes up).
    const failing = await until(resetRow, (r) => (r?.attempts ?? 0) >= 2 && r?.status === 'pending');
    expect(failing?.lastErrorCode).toMatch(/^E[A-Z_]+$/);
    expect(failing?.payloadEnc).toMatch(/^bw1\./);
    expect(test.logs.join('\n')).toContain('will retry');

    catcher = await startMailCatcher({ port });
    const mail = await catcher.waitFor((m) => m.text.includes(token));
    expect(mail.to).toEqual([shopper.email.toLowerCase()]);
    const sent = await until(resetRow, (r) => r?.status === 'sent');
    expect(sent?.attempts).toBeGreaterThanOrEqual(3);
    expect(catcher.messages.filter((m) => m.text.includes(token))).toHaveLength(1);
  });
});

describe('outbox out of attempts', () => {
  let test: TestApp;

  beforeAll(async () => {
    const port = await freePort();
    test = await createTestApp({ BULWARK_SMTP_URL: `smtp://127.0.0.1:${port}` });
    test.container.notify.startDelivery({ ...FAST, maxAttempts: 2 });
  });
  afterAll(() => test.close());

  it('a message is given up on after the last attempt, keeping only its error code', async () => {
    const address = uniqueEmail('unreachable');
    await send(test.container, { address }, { template: 'account_exists' });
    const row = await until(
      async () => (await outboxRows(test.container)).find((r) => r.template === 'account_exists'),
      (r) => r?.status === 'dead',
    );
    expect(row).toMatchObject({ attempts: 2, payloadEnc: null, sentAt: null });
    expect(row?.lastErrorCode).toMatch(/^E[A-Z_]+$/);
    // Its own key went with it: the address cannot be recovered from any copy of the row.
    const key = await test.container.database.db
      .selectFrom('vaultDataKeys')
      .select('shreddedAt')
      .where('ownerId', '=', row?.id as string)
      .executeTakeFirstOrThrow();
    expect(key.shreddedAt).toBeInstanceOf(Date);
  });
});

describe(`outbox across a restart (${engine === 'postgres' ? 'PostgreSQL' : 'PGlite on disk'})`, () => {
  it('messages recorded before a stop are delivered by the next process', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-notify-'));
    const database = engine === 'postgres' ? await createPostgresDatabase() : null;
    const rootKey = ephemeralRootKey();
    const catcher = await startMailCatcher();
    const open = async (env: Record<string, string>) => {
      const config = loadConfig({
        NODE_ENV: 'test',
        BULWARK_DATA_DIR: dataDir,
        BULWARK_PUBLIC_URL: PUBLIC_URL,
        ...(database ? { DATABASE_URL: database.url } : {}),
        ...env,
      });
      return createContainer(config, { inMemory: false, rootKey, poolSize: 3 });
    };
    try {
      const token = secret('restart');
      const stranger = uniqueEmail('stranger');
      const email = uniqueEmail('restart');
      const first = await open({});
      await first.migrate();
      const { userId } = await first.identity.accounts.registerShopper({
        email,
        password: 'correct horse battery staple',
        fullName: 'Test Shopper',
        country: 'PL',
      });
      await send(first, { userId: userId as UserId }, reset(token));
      await send(first, { address: stranger }, { template: 'password_reset_unknown' });
      expect((await first.notify.outboxCounts()).pending).toBe(2);
      await first.close();

      const second = await open({ BULWARK_SMTP_URL: catcher.url });
      try {
        second.notify.startDelivery(FAST);
        const mail = await catcher.waitFor((m) => m.text.includes(token));
        expect(mail.to).toEqual([email.toLowerCase()]);
        await catcher.waitFor((m) => m.to.includes(stranger.toLowerCase()));
        await until(
          () => second.notify.outboxCounts(),
          (counts) => counts.sent === 2,
        );
      } finally {
        await second.close();
      }
    } finally {
      await catcher.close();
      await database?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
