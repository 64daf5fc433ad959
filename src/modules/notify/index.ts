/**
 * Notify: a durable, encrypted outbox. Messages are recorded in the caller's transaction (so one exists
 * exactly when the change that caused it commits), sealed by the vault, delivered by e-mail with retries,
 * and shown in the account's in-app inbox without their link secrets.
 */
import type { Config } from '../../config/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import type { EventBus } from '../../platform/events.ts';
import type { App } from '../../platform/http/app-types.ts';
import type { Vault } from '../vault/index.ts';
import { Delivery, type DeliveryOptions } from './delivery.worker.ts';
import { type AddressOf, createMessenger, type Outbox } from './messenger.service.ts';
import { registerNoticeRoutes } from './notices.routes.ts';
import { createNotices, type Notices } from './notices.service.ts';
import type { NotifyDb, OutboxStatus } from './notify.tables.ts';
import { countByStatus, outcomesOf } from './outbox.repository.ts';

export type { BreachNoticeMessage } from './breach-notice.template.ts';
export { NOTICE_LANGUAGES, noticeLanguage } from './breach-notice.template.ts';
export type { DeliveryLog, DeliveryOptions } from './delivery.worker.ts';
export { mailDirectory } from './delivery.worker.ts';
export type { AddressOf, Outbox } from './messenger.service.ts';
export type { Notice } from './notices.service.ts';
export type { OutboxStatus } from './notify.tables.ts';
export type { Attachment, DocumentMessage, OutboxMessage } from './templates.ts';
export { formatTime, renderEmail, renderNotice } from './templates.ts';

export interface NotifyDeps {
  readonly db: AnyDb;
  readonly vault: Vault;
  readonly clock: Clock;
  readonly config: Config;
  /** For the security events notify will emit (none in this first cut). */
  readonly events: EventBus;
  /** The account's current e-mail address, read with the caller's `db` (its transaction). */
  readonly addressOf: AddressOf;
  /** Each person's anti-phishing phrase (identity). */
  readonly phraseOf?: AddressOf;
}

export interface Notify {
  /** The outbox: `send(db, to, message)` inside the caller's transaction (identity's Messenger too). */
  readonly messenger: Outbox;
  readonly notices: Notices;
  /** Starts the e-mail worker (polls every 500 ms, kicked after each send); a no-op without BULWARK_SMTP_URL. */
  startDelivery(options?: DeliveryOptions): void;
  /** Stops the worker and waits for the pass in flight. The container's `close()` calls it too. */
  stopDelivery(): Promise<void>;
  /** Sends everything due now and resolves with how many messages it handled (tests, operators). */
  deliverDue(): Promise<number>;
  /** Outbox rows per status; `pending` plus `sending` is what still waits for delivery. */
  outboxCounts(): Promise<Record<OutboxStatus, number>>;
  /** Where each message stands, by the ID `send` answered. */
  outcomes(ids: readonly string[]): Promise<Map<string, { status: OutboxStatus; sentAt: Date | null }>>;
  registerRoutes(app: App): void;
}

export function createNotify(deps: NotifyDeps): Notify {
  const delivery = new Delivery(deps);
  const notices = createNotices(deps);
  return {
    messenger: createMessenger({
      vault: deps.vault,
      clock: deps.clock,
      addressOf: deps.addressOf,
      ...(deps.phraseOf ? { phraseOf: deps.phraseOf } : {}),
      recorded: () => delivery.kick(),
    }),
    notices,
    startDelivery: (options) => delivery.start(options),
    stopDelivery: () => delivery.stop(),
    deliverDue: () => delivery.drain(),
    outboxCounts: () => countByStatus(deps.db as NotifyDb),
    outcomes: (ids) => outcomesOf(deps.db as NotifyDb, ids),
    registerRoutes: (app) => registerNoticeRoutes(app, notices),
  };
}
