import { sql } from 'kysely';
import type { Cursor } from '../../platform/http/pagination.ts';
import { olderThan } from '../../platform/http/pagination.ts';
import type { NoticeRow, NotifyDb, OutboxRow, OutboxStatus } from './notify.tables.ts';

export async function insertMessage(
  db: NotifyDb,
  row: { id: string; userId: string | null; template: string; payloadEnc: string; nextAttemptAt: Date },
): Promise<void> {
  await db
    .insertInto('outbox')
    .values({ ...row, channel: 'email' })
    .execute();
}

/**
 * Claims up to `limit` due messages for this worker until `leaseUntil`, counting the attempt. One
 * statement on both engines: `skip locked` lets several nodes claim side by side on PostgreSQL, and a
 * claim whose worker died lapses at `leaseUntil`, so the message is tried again (at least once delivery).
 */
export async function claimDue(
  db: NotifyDb,
  now: Date,
  leaseUntil: Date,
  limit: number,
): Promise<OutboxRow[]> {
  const result = await sql<OutboxRow>`
    update outbox
       set status = 'sending', attempts = attempts + 1, next_attempt_at = ${leaseUntil}
     where id in (
       select id from outbox
        where status in ('pending', 'sending') and next_attempt_at <= ${now}
        order by next_attempt_at, id
        limit ${limit}
        for update skip locked)
    returning *`.execute(db);
  return result.rows;
}

/** Ends a claimed message; the payload (address and link secrets) is dropped with it. */
export async function finish(
  db: NotifyDb,
  id: string,
  outcome: { status: Extract<OutboxStatus, 'sent' | 'failed' | 'dead'>; at: Date; errorCode: string | null },
): Promise<boolean> {
  const result = await db
    .updateTable('outbox')
    .set({
      status: outcome.status,
      payloadEnc: null,
      lastErrorCode: outcome.errorCode,
      sentAt: outcome.status === 'sent' ? outcome.at : null,
    })
    .where('id', '=', id)
    .where('status', '=', 'sending')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Renews this worker's claim on one message just before it is sent: the lease covers one send, not a batch. */
export async function extendClaim(db: NotifyDb, id: string, leaseUntil: Date): Promise<void> {
  await db
    .updateTable('outbox')
    .set({ nextAttemptAt: leaseUntil })
    .where('id', '=', id)
    .where('status', '=', 'sending')
    .execute();
}

/** Puts a claimed message back for another attempt at `retryAt`. */
export async function retryLater(db: NotifyDb, id: string, retryAt: Date, errorCode: string): Promise<void> {
  await db
    .updateTable('outbox')
    .set({ status: 'pending', nextAttemptAt: retryAt, lastErrorCode: errorCode })
    .where('id', '=', id)
    .where('status', '=', 'sending')
    .execute();
}

export async function countByStatus(db: NotifyDb): Promise<Record<OutboxStatus, number>> {
  const rows = await db
    .selectFrom('outbox')
    .select(['status', (eb) => eb.fn.countAll<string | number>().as('count')])
    .groupBy('status')
    .execute();
  const counts: Record<OutboxStatus, number> = { pending: 0, sending: 0, sent: 0, failed: 0, dead: 0 };
  for (const row of rows) counts[row.status] = Number(row.count);
  return counts;
}

/** Where each message stands (unknown IDs are absent). */
export async function outcomesOf(
  db: NotifyDb,
  ids: readonly string[],
): Promise<Map<string, { status: OutboxStatus; sentAt: Date | null }>> {
  const found = new Map<string, { status: OutboxStatus; sentAt: Date | null }>();
  for (let at = 0; at < ids.length; at += 1_000) {
    const rows = await db
      .selectFrom('outbox')
      .select(['id', 'status', 'sentAt'])
      .where('id', 'in', ids.slice(at, at + 1_000))
      .execute();
    for (const row of rows) found.set(row.id, { status: row.status, sentAt: row.sentAt });
  }
  return found;
}

export async function insertNotice(
  db: NotifyDb,
  row: { id: string; userId: string; template: string; payloadEnc: string },
): Promise<void> {
  await db.insertInto('notices').values(row).execute();
}

/** The user's notices, newest first; `limit + 1` rows so the caller can tell whether more exist. */
export function listNotices(
  db: NotifyDb,
  userId: string,
  page: { limit: number; after: Cursor | null },
): Promise<NoticeRow[]> {
  let query = db
    .selectFrom('notices')
    .selectAll()
    .where('userId', '=', userId)
    .orderBy('createdAt', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1);
  if (page.after) query = query.where(olderThan(page.after));
  return query.execute();
}

/** Marks one of the user's notices read (once); false when the user has no such notice. */
export async function markNoticeRead(db: NotifyDb, userId: string, id: string, at: Date): Promise<boolean> {
  const row = await db
    .updateTable('notices')
    .set({ readAt: sql<Date>`coalesce(read_at, ${at})` })
    .where('id', '=', id)
    .where('userId', '=', userId)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}
