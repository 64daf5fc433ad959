import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { type Config, isLoopback } from '../../config/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import { withTransaction } from '../../platform/db/index.ts';
import { AppError } from '../../platform/errors.ts';
import type { Vault } from '../vault/index.ts';
import { outboxField, outboxKeyOwner, parseSealedEmail, type SealedEmail } from './messenger.service.ts';
import type { NotifyDb, OutboxRow } from './notify.tables.ts';
import { claimDue, extendClaim, finish, retryLater } from './outbox.repository.ts';
import { renderEmail } from './templates.ts';

/** The part of a pino logger delivery uses; its lines carry IDs, templates and error codes, never text. */
export interface DeliveryLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface DeliveryOptions {
  /** How often the outbox is read when nothing kicks it: 500 ms. */
  readonly pollIntervalMs?: number;
  /** Messages claimed per statement: 10. */
  readonly batchSize?: number;
  /** Attempts before a message is given up on (`dead`): 8, about 2 hours with the default backoff. */
  readonly maxAttempts?: number;
  /** First retry after 15 s, doubling each time, never more than 30 min apart. */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** How long a claim lasts: BULWARK_OUTBOX_LEASE_SECONDS (2 min), above the SMTP timeouts below. */
  readonly leaseMs?: number;
  readonly log?: DeliveryLog;
}

export interface DeliveryDeps {
  readonly db: AnyDb;
  readonly vault: Vault;
  readonly clock: Clock;
  readonly config: Config;
}

const DEFAULTS = {
  pollIntervalMs: 500,
  batchSize: 10,
  maxAttempts: 8,
  backoffBaseMs: 15_000,
  backoffMaxMs: 30 * 60_000,
  leaseMs: 120_000,
} as const;

const silent: DeliveryLog = { info: () => {}, warn: () => {}, error: () => {} };
// One line, a sane length, an @ with something on both sides: anything else never reaches an SMTP command.
const ADDRESS = /^[^\s@<>,;"\\]{1,64}@[^\s@<>,;"\\]{1,253}$/;
const KICK_DELAY_MS = 20;

type Transport = ReturnType<typeof nodemailer.createTransport>;

/** Where development writes each e-mail as an .eml file instead of sending it (no BULWARK_SMTP_URL). */
export const mailDirectory = (dataDir: string) => path.join(dataDir, 'mail');

/**
 * The e-mail delivery worker: claims due outbox rows, opens them with the vault, renders and sends them
 * over SMTP, and records the outcome by code. Retries back off exponentially; permanent refusals and
 * exhausted messages stop. A bare-address message's own data key is shredded once it is finished.
 */
export class Delivery {
  readonly #deps: DeliveryDeps;
  #options: Required<Omit<DeliveryOptions, 'log'>> = DEFAULTS;
  #log: DeliveryLog = silent;
  #transport: Transport | null = null;
  #emlDirectory: string | null = null;
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  // Passes run one at a time: the poller, a kick and a test's drain() never claim side by side.
  #chain: Promise<unknown> = Promise.resolve();

  constructor(deps: DeliveryDeps) {
    this.#deps = deps;
  }

  /** True once `start` ran with an SMTP URL configured; without one, e-mail waits in the outbox. */
  get running(): boolean {
    return this.#running;
  }

  start(options: DeliveryOptions = {}): void {
    if (this.#running) return;
    const { log, ...rest } = options;
    this.#options = { ...DEFAULTS, leaseMs: this.#deps.config.outboxLeaseSeconds * 1000, ...rest };
    this.#log = log ?? silent;
    const smtpUrl = this.#deps.config.smtpUrl;
    // Only a development server on this machine: a host that forgot NODE_ENV must not "send" into files.
    if (!smtpUrl && this.#deps.config.env === 'development' && isLoopback(this.#deps.config.host)) {
      // Development: each e-mail becomes an .eml file to open in a mail program; nothing leaves the machine.
      this.#transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
      this.#emlDirectory = mailDirectory(this.#deps.config.dataDir);
      this.#log.info({}, 'BULWARK_SMTP_URL is not set: e-mail is written as .eml files under data/mail');
      this.#running = true;
      this.#schedule(0);
      return;
    }
    if (!smtpUrl) {
      this.#log.warn(
        {},
        'BULWARK_SMTP_URL is not set: e-mail waits in the outbox, in-app notices still appear',
      );
      return;
    }
    this.#transport = nodemailer.createTransport({
      url: smtpUrl.reveal(),
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      dnsTimeout: 10_000,
      // Messages are text we render; nothing may pull in a file or a URL.
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    this.#running = true;
    this.#schedule(0);
  }

  /** Stops polling and waits for the pass in flight; a message mid-send finishes or is retried later. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#chain;
    this.#transport?.close();
    this.#transport = null;
  }

  /** Looks at the outbox soon, instead of at the next poll (called after a message is recorded). */
  kick(): void {
    if (this.#running) this.#schedule(KICK_DELAY_MS);
  }

  /**
   * Delivers every message due now, one pass after another, and resolves with how many it handled
   * (sent, retried later or stopped). Meant for tests and operators; 0 when delivery is not running.
   */
  drain(): Promise<number> {
    return this.#exclusive(async () => {
      let handled = 0;
      for (;;) {
        const count = await this.#pass();
        handled += count;
        if (count === 0) return handled;
      }
    });
  }

  #schedule(delayMs: number): void {
    if (!this.#running) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#tick(), delayMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    this.#timer = null;
    try {
      await this.drain();
    } catch (error) {
      this.#log.error({ code: errorCode(error) }, 'outbox delivery pass failed');
    }
    if (!this.#timer) this.#schedule(this.#options.pollIntervalMs);
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(work, work);
    this.#chain = run.catch(() => {});
    return run;
  }

  async #pass(): Promise<number> {
    const transport = this.#transport;
    if (!this.#running || !transport) return 0;
    const now = this.#deps.clock.now();
    const leaseUntil = new Date(now.getTime() + this.#options.leaseMs);
    const rows = await claimDue(this.#db, now, leaseUntil, this.#options.batchSize);
    for (const row of rows) await this.#deliver(transport, row);
    return rows.length;
  }

  get #db(): NotifyDb {
    return this.#deps.db as NotifyDb;
  }

  async #deliver(transport: Transport, row: OutboxRow): Promise<void> {
    const context = { messageId: row.id, template: row.template, attempt: row.attempts };
    let email: SealedEmail;
    try {
      if (row.payloadEnc === null) throw new Error('payload missing');
      email = parseSealedEmail(
        await this.#deps.vault.openOwn(
          this.#deps.db,
          outboxKeyOwner(row),
          outboxField(row.id),
          row.payloadEnc,
        ),
      );
    } catch (error) {
      // Unreadable (tampered, or its owner erased): no retry can help. The vault has raised its own event.
      const code = errorCode(error);
      await this.#finish(row, 'failed', code);
      this.#log.warn({ ...context, code }, 'outbox message cannot be opened; not sent');
      return;
    }
    if (!ADDRESS.test(email.to)) {
      await this.#finish(row, 'failed', 'EADDRESS');
      this.#log.warn({ ...context, code: 'EADDRESS' }, 'outbox message has an unusable address; not sent');
      return;
    }
    const rendered = renderEmail(email.message, this.#deps.config.publicUrl, email.phrase);
    const now = this.#deps.clock.now();
    await extendClaim(this.#db, row.id, new Date(now.getTime() + this.#options.leaseMs));
    try {
      const info = await transport.sendMail({
        // The same Message-ID on every attempt: a retry after a crash is recognisably the same e-mail.
        messageId: `<${row.id}@${new URL(this.#deps.config.publicUrl).hostname}>`,
        from: this.#deps.config.mailFrom,
        to: email.to,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        attachments: rendered.attachments.map((a) => ({
          filename: a.filename,
          contentType: a.contentType,
          content: Buffer.from(a.content, 'base64'),
        })),
      });
      if (this.#emlDirectory) await writeEml(this.#emlDirectory, row.id, info.message as Buffer);
    } catch (error) {
      await this.#failed(row, error, context);
      return;
    }
    await this.#finish(row, 'sent', null);
    this.#log.info(context, 'e-mail sent');
  }

  async #failed(row: OutboxRow, error: unknown, context: object): Promise<void> {
    const code = errorCode(error);
    const permanent = (error as { permanent?: unknown } | null)?.permanent === true;
    if (permanent || row.attempts >= this.#options.maxAttempts) {
      const status = permanent ? 'failed' : 'dead';
      await this.#finish(row, status, code);
      this.#log.error({ ...context, code, status }, 'e-mail delivery stopped');
      return;
    }
    const delay = Math.min(
      this.#options.backoffMaxMs,
      this.#options.backoffBaseMs * 2 ** Math.max(0, row.attempts - 1),
    );
    // Up to 10% jitter, so messages that failed together do not all retry together.
    const retryAt = new Date(
      this.#deps.clock.now().getTime() + delay + Math.floor(Math.random() * delay * 0.1),
    );
    await retryLater(this.#db, row.id, retryAt, code);
    this.#log.warn({ ...context, code, retryInMs: delay }, 'e-mail delivery failed; will retry');
  }

  /** Records the end of a message; a bare address's own key is shredded in the same transaction. */
  async #finish(row: OutboxRow, status: 'sent' | 'failed' | 'dead', errorCode: string | null): Promise<void> {
    const at = this.#deps.clock.now();
    if (row.userId !== null) {
      await finish(this.#db, row.id, { status, at, errorCode });
      return;
    }
    const shredded = await withTransaction(this.#deps.db, async (trx) => {
      // Another worker took the row over (our claim lapsed): it finishes the message, key included.
      if (!(await finish(trx as NotifyDb, row.id, { status, at, errorCode }))) return null;
      return this.#deps.vault.shred(trx, row.id);
    });
    if (shredded) this.#deps.vault.confirmShred(shredded, row.id);
  }
}

/** Written whole or not at all: a reader never sees half a message. */
async function writeEml(directory: string, id: string, message: Buffer): Promise<void> {
  await fs.mkdir(directory, { recursive: true, mode: 0o700 });
  const file = path.join(directory, `${id}.eml`);
  await fs.writeFile(`${file}.tmp`, message, { mode: 0o600 });
  await fs.rename(`${file}.tmp`, file);
}

/** A code fit for a column and a log line: never the message or the server's reply, which may hold an address. */
function errorCode(error: unknown): string {
  if (error instanceof AppError) return error.code;
  const e = error as { code?: unknown; originalCode?: unknown; responseCode?: unknown } | null;
  const safe = (value: unknown) =>
    typeof value === 'string' && /^[A-Za-z0-9_]{1,32}$/.test(value) ? value : null;
  const code = safe(e?.code) ?? 'EUNKNOWN';
  if (typeof e?.responseCode === 'number' && Number.isInteger(e.responseCode)) {
    return `${code}_SMTP_${e.responseCode}`;
  }
  const original = safe(e?.originalCode);
  return original && original !== code ? `${code}_${original}` : code;
}
