import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import { type MessageId, newId, type UserId } from '../../platform/ids.ts';
import type { Recipient } from '../identity/index.ts';
import type { Vault } from '../vault/index.ts';
import type { NotifyDb } from './notify.tables.ts';
import { insertMessage, insertNotice } from './outbox.repository.ts';
import { type NoticeMessage, type OutboxMessage, withoutSecrets } from './templates.ts';

/** The current e-mail address of an account, read in the caller's transaction; null when it has none. */
export type AddressOf = (db: AnyDb, userId: UserId) => Promise<string | null>;

export interface MessengerDeps {
  readonly vault: Vault;
  readonly clock: Clock;
  readonly addressOf: AddressOf;
  /** The person's anti-phishing phrase, shown at the top of every e-mail to them (none: null). */
  readonly phraseOf?: AddressOf;
  /** Called after a message is recorded, so delivery can look sooner than its next poll. */
  readonly recorded: () => void;
}

/** What the outbox seals: where the e-mail goes and the whole message, link secrets included. */
export interface SealedEmail {
  readonly to: string;
  readonly message: OutboxMessage;
  /** The recipient's anti-phishing phrase when the message was recorded (absent: none). */
  readonly phrase?: string | null;
}

/**
 * Whose data key seals an outbox row: the account's, or, for a bare address, the message's own key, which
 * is shredded once the message is delivered or given up on.
 */
export function outboxKeyOwner(row: { id: string; userId: string | null }): string {
  return row.userId ?? row.id;
}

export const outboxField = (id: string) => ({ table: 'outbox', column: 'payload', rowId: id });
export const noticeField = (id: string) => ({ table: 'notices', column: 'payload', rowId: id });

/**
 * The outbox as every module sees it: `send(db, to, message)` records the message inside the caller's
 * transaction and answers its ID (null: the account has no address left, so nothing was recorded).
 * Identity's `Messenger` is this, narrowed to its own messages.
 */
export interface Outbox {
  send(db: AnyDb, to: Recipient, message: OutboxMessage): Promise<MessageId | null>;
}

export function createMessenger(deps: MessengerDeps): Outbox {
  return {
    async send(db: AnyDb, to: Recipient, original: OutboxMessage): Promise<MessageId | null> {
      const id: MessageId = newId('message');
      const userId = to.userId ?? null;
      const address = 'address' in to ? to.address : await deps.addressOf(db, to.userId);
      // An account with no address left (closed) gets nothing: there is no one to tell.
      if (address === null) return null;
      const ownerId = outboxKeyOwner({ id, userId });
      // The caller's transaction holds the message's own key too: a rollback leaves neither behind.
      if (userId === null) await deps.vault.ensureDataKey(db, ownerId);
      const phrase = userId !== null && deps.phraseOf ? await deps.phraseOf(db, userId) : null;
      const message: OutboxMessage =
        original.template === 'breach_notice' ? { ...original, hasPhrase: phrase !== null } : original;
      const sealed: SealedEmail = { to: address, message, ...(phrase ? { phrase } : {}) };
      await insertMessage(db as NotifyDb, {
        id,
        userId,
        template: message.template,
        payloadEnc: await deps.vault.seal(db, { ownerId, ...outboxField(id) }, JSON.stringify(sealed)),
        nextAttemptAt: deps.clock.now(),
      });
      if (userId !== null) {
        const noticeId = newId('notice');
        await insertNotice(db as NotifyDb, {
          id: noticeId,
          userId,
          template: message.template,
          payloadEnc: await deps.vault.seal(
            db,
            { ownerId: userId, ...noticeField(noticeId) },
            JSON.stringify(withoutSecrets(message)),
          ),
        });
      }
      deps.recorded();
      return id;
    },
  };
}

const DATE_FIELDS = new Set(['at', 'expiresAt', 'periodFrom', 'periodTo', 'awareAt', 'noticeDate']);
const revive = (key: string, value: unknown) =>
  DATE_FIELDS.has(key) && typeof value === 'string' ? new Date(value) : value;

export function parseSealedEmail(plaintext: string): SealedEmail {
  return JSON.parse(plaintext, revive) as SealedEmail;
}

export function parseNoticeMessage(plaintext: string): NoticeMessage {
  return JSON.parse(plaintext, revive) as NoticeMessage;
}
