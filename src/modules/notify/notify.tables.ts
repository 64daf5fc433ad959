import type { Generated, Kysely, Selectable } from 'kysely';

/**
 * `pending`: waiting for its next attempt (never tried, or a temporary failure); `sending`: claimed by a
 * worker until `nextAttemptAt` (a crashed worker's claim lapses and the row is tried again); `sent`;
 * `failed`: refused for good (a permanent SMTP reply, an unreadable payload); `dead`: out of attempts.
 */
export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'dead';

export interface OutboxTable {
  id: string;
  userId: string | null;
  channel: 'email';
  template: string;
  payloadEnc: string | null;
  status: Generated<OutboxStatus>;
  attempts: Generated<number>;
  nextAttemptAt: Generated<Date>;
  lastErrorCode: string | null;
  createdAt: Generated<Date>;
  sentAt: Date | null;
}

export interface NoticesTable {
  id: string;
  userId: string;
  template: string;
  payloadEnc: string;
  createdAt: Generated<Date>;
  readAt: Date | null;
}

export interface NotifyTables {
  outbox: OutboxTable;
  notices: NoticesTable;
}

export type NotifyDb = Kysely<NotifyTables>;
export type OutboxRow = Selectable<OutboxTable>;
export type NoticeRow = Selectable<NoticesTable>;
