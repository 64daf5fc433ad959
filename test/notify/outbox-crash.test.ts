import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { createContainer } from '../../src/container.ts';
import { type CaughtMail, type MailCatcher, startMailCatcher } from '../helpers/mail-catcher.ts';
import {
  type RunningServer,
  serverEnvironment,
  startBulwark,
  tempDataDir,
} from '../helpers/spawn-bulwark.ts';
import { engine } from '../helpers/test-database.ts';

/*
 * The outbox loses nothing and repeats nothing when the process is killed in the middle of a batch: the
 * real binary sends through a slow SMTP server, is killed with SIGKILL while a claimed batch is half sent,
 * and is started again. Every message arrives, each under one Message-ID that every attempt carries, so
 * the one message that may have been in flight at the kill is recognisably the same e-mail if it comes
 * twice (SMTP cannot promise more than that: the 250 reply and our record of it are two machines apart).
 */

const MESSAGES = 30;
const KILL_AFTER = 12;
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('outbox: kill -9 in the middle of a batch', () => {
  let mail: MailCatcher;
  let server: RunningServer | undefined;
  let dataDir = '';
  let dropDatabase: () => Promise<void> = async () => {};

  afterAll(async () => {
    await server?.stop('SIGKILL');
    await mail?.close();
    await dropDatabase();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers every message after a restart, each under one Message-ID, none lost', async () => {
    let killed: Promise<unknown> | null = null;
    // Nothing is accepted until every message is in the outbox: the kill then always finds a claimed
    // batch half sent, however slow the machine is.
    let openGate: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    mail = await startMailCatcher({
      hold: gate,
      delayMs: 60,
      onAccepted: () => {
        if (!killed && mail.messages.length >= KILL_AFTER && server) killed = server.stop('SIGKILL');
      },
    });
    dataDir = tempDataDir();
    const setup = await serverEnvironment(dataDir, {
      BULWARK_SMTP_URL: mail.url,
      // A crashed worker's claims lapse after 5 s instead of 2 min.
      BULWARK_OUTBOX_LEASE_SECONDS: '5',
    });
    const env = setup.env;
    dropDatabase = setup.drop;
    server = await startBulwark(env);

    // Each reset request for an address with no account is answered by e-mail (so both cases look alike):
    // thirty messages to thirty bare addresses, each sealed under its own key until it is sent.
    const stamp = `${process.pid}-${Date.now()}`;
    const addresses = Array.from({ length: MESSAGES }, (_, i) => `nobody-${i}-${stamp}@example.test`);
    for (const email of addresses) {
      const answer = await fetch(`${server.url}/v1/auth/password-reset`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
      });
      expect(answer.status).toBe(202);
    }
    openGate();
    const deadline = Date.now() + 60_000;
    while (!killed && Date.now() < deadline) await delay(20);
    expect(killed, 'the server was killed mid-delivery').not.toBeNull();
    await killed;
    server = undefined;
    const beforeRestart = mail.messages.length;
    expect(beforeRestart).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(beforeRestart).toBeLessThan(MESSAGES);

    // An embedded data directory's lock frees itself 10 s after a crash.
    const lock = path.join(dataDir, 'bulwark.lock');
    if (engine === 'pglite' && fs.existsSync(lock)) {
      await delay(Math.max(0, fs.statSync(lock).mtimeMs + 10_000 - Date.now()) + 250);
    }
    server = await startBulwark(env);
    const messageIds = () => new Set(mail.messages.map((m) => m.headers['message-id']));
    const until = Date.now() + 60_000;
    while (messageIds().size < MESSAGES && Date.now() < until) await delay(100);
    await delay(500);
    await server.stop('SIGTERM');
    server = undefined;

    // Every address got its message; every receipt carries the message's one ID.
    const byAddress = new Map<string, CaughtMail[]>();
    for (const m of mail.messages) {
      for (const to of m.to) byAddress.set(to, [...(byAddress.get(to) ?? []), m]);
    }
    expect([...byAddress.keys()].sort()).toEqual(addresses.map((a) => a.toLowerCase()).sort());
    for (const [, received] of byAddress) {
      expect(new Set(received.map((m) => m.headers['message-id'])).size).toBe(1);
    }
    expect(messageIds().size).toBe(MESSAGES);
    // Only the message in flight at the kill can have come twice.
    expect(mail.messages.length - MESSAGES).toBeLessThanOrEqual(1);

    // The outbox agrees: one row per message, each sent, each ID the one the e-mail carried; the rows the
    // dead worker had claimed were tried again once their claim lapsed.
    const container = await createContainer(loadConfig(env));
    try {
      expect(await container.notify.outboxCounts()).toEqual({
        pending: 0,
        sending: 0,
        sent: MESSAGES,
        failed: 0,
        dead: 0,
      });
      const rows = await container.database.db.selectFrom('outbox').select(['id', 'attempts']).execute();
      const host = '@localhost>';
      expect(rows.map((r) => `<${r.id}${host}`).sort()).toEqual([...messageIds()].sort());
      expect(
        rows.some((r) => r.attempts >= 2),
        'a claimed batch was interrupted and retried',
      ).toBe(true);
    } finally {
      await container.close();
    }
  }, 180_000);
});
