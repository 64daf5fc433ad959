import { sql } from 'kysely';
import {
  decodeEntry,
  encodeEntry,
  GENESIS_HASH,
  hashBody,
  type TrailEntry,
  type TrailRecord,
} from './entry-codec.ts';
import type { TrailDb } from './trail.tables.ts';

// One chain for the whole service: every appender takes this transaction-scoped advisory lock, reads the
// head and inserts after it, so appends from any number of processes form one unbroken sequence (and a
// rolled-back transaction leaves no gap, as no sequence number is taken outside the lock).
const LOCK_CLASS = 0x7472; // "tr"
const LOCK_KEY = 0x61696c; // "ail"

export interface Head {
  readonly seq: number;
  readonly hash: string;
}

/** The newest entry, or the newest archive's last entry when retention pruned everything, or genesis. */
export async function readHead(db: TrailDb): Promise<Head> {
  const last = await db
    .selectFrom('trailEntries')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (last) return last;
  const archive = await db
    .selectFrom('trailArchives')
    .select(['upToSeq', 'headHash'])
    .orderBy('upToSeq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return archive ? { seq: archive.upToSeq, hash: archive.headHash } : { seq: 0, hash: GENESIS_HASH };
}

/** Where verification starts: after the newest archived period, or at genesis. */
export async function readAnchor(db: TrailDb): Promise<Head> {
  const archive = await db
    .selectFrom('trailArchives')
    .select(['upToSeq', 'headHash'])
    .orderBy('upToSeq', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!archive) return { seq: 0, hash: GENESIS_HASH };
  // Pruning removes a prefix of what the archive holds: the first entry left follows the anchor.
  const first = await db
    .selectFrom('trailEntries')
    .select(['seq', 'prevHash'])
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst();
  if (first && first.seq <= archive.upToSeq) return { seq: first.seq - 1, hash: first.prevHash };
  return { seq: archive.upToSeq, hash: archive.headHash };
}

/**
 * Appends `records` in order inside `trx` (a transaction: the lock is held until it ends) and returns
 * the head after each.
 */
export async function appendEntries(
  trx: TrailDb,
  at: Date | readonly Date[],
  records: readonly TrailRecord[],
): Promise<Head[]> {
  if (!trx.isTransaction) throw new Error('trail appends need a transaction');
  await sql`select pg_advisory_xact_lock(${LOCK_CLASS}, ${LOCK_KEY})`.execute(trx);
  let head = await readHead(trx);
  const rows: { seq: number; hash: string; body: string }[] = [];
  const heads: Head[] = [];
  for (const [i, record] of records.entries()) {
    const seq = head.seq + 1;
    const body = encodeEntry(head.hash, seq, Array.isArray(at) ? (at[i] as Date) : (at as Date), record);
    head = { seq, hash: hashBody(body) };
    heads.push(head);
    rows.push({ seq, hash: head.hash, body });
  }
  if (rows.length > 0) await trx.insertInto('trailEntries').values(rows).execute();
  return heads;
}

/** Throws what `appendEntries` would throw for this record (bad names, unknown action), without writing. */
export function checkRecord(record: TrailRecord, at: Date): void {
  encodeEntry(GENESIS_HASH, 1, at, record);
}

export interface SearchFilter {
  readonly actorId?: string;
  readonly subjectId?: string;
  readonly action?: string;
  readonly from?: Date;
  readonly to?: Date;
  /** Entries older than this sequence number (the cursor of the previous page). */
  readonly before?: number;
  readonly limit: number;
}

/** Newest first, keyset-paged by sequence number. */
export async function searchEntries(db: TrailDb, filter: SearchFilter): Promise<TrailEntry[]> {
  let query = db.selectFrom('trailEntries').select(['seq', 'hash', 'body']);
  if (filter.actorId) query = query.where('actorId', '=', filter.actorId);
  if (filter.action) query = query.where('action', '=', filter.action);
  if (filter.subjectId)
    query = query.where(sql<boolean>`subjects @> ${JSON.stringify([filter.subjectId])}::jsonb`);
  if (filter.from) query = query.where('at', '>=', filter.from);
  if (filter.to) query = query.where('at', '<', filter.to);
  if (filter.before !== undefined) query = query.where('seq', '<', filter.before);
  const rows = await query.orderBy('seq', 'desc').limit(filter.limit).execute();
  return rows.flatMap((row) => decodeEntry(row.seq, row.hash, row.body) ?? []);
}

export const SCOPE_ACTIONS = ['pii.revealed', 'pii.returned'] as const;

/** Every entry in which one of `actorIds` read or was sent someone's personal data within the window. */
export async function readsBy(
  db: TrailDb,
  actorIds: readonly string[],
  from: Date,
  to: Date,
): Promise<TrailEntry[]> {
  if (actorIds.length === 0) return [];
  const rows = await db
    .selectFrom('trailEntries')
    .select(['seq', 'hash', 'body'])
    .where('actorId', 'in', [...actorIds])
    .where('at', '>=', from)
    .where('at', '<', to)
    .where('action', 'in', [...SCOPE_ACTIONS])
    .orderBy('seq')
    .execute();
  return rows.flatMap((row) => decodeEntry(row.seq, row.hash, row.body) ?? []);
}

export async function insertCheckpoint(
  db: TrailDb,
  row: { seq: number; headHash: string; at: Date; kid: string; jws: string },
): Promise<boolean> {
  const result = await db
    .insertInto('trailCheckpoints')
    .values(row)
    .onConflict((oc) => oc.column('seq').doNothing())
    .executeTakeFirst();
  return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
}

export function listCheckpoints(db: TrailDb, fromSeq = 0, toSeq = Number.MAX_SAFE_INTEGER) {
  return db
    .selectFrom('trailCheckpoints')
    .selectAll()
    .where('seq', '>', fromSeq)
    .where('seq', '<=', toSeq)
    .orderBy('seq')
    .execute();
}

export async function latestCheckpoint(db: TrailDb) {
  return db.selectFrom('trailCheckpoints').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();
}
