import { sql } from 'kysely';
import type { BudgetDb } from './budgets.tables.ts';

// First key of the two-key advisory lock: the PII budget's own namespace, so its locks never collide
// with another feature's ('PIIB' in ASCII).
const LOCK_NAMESPACE = 0x50494942;

/**
 * Serialises one actor's budget checks until the transaction ends, on every node sharing the database:
 * two concurrent reveals cannot both read "one slot left". Accepts only a transaction.
 */
export async function lockActor(trx: BudgetDb, actorId: string): Promise<void> {
  if (!trx.isTransaction) throw new Error('lockActor needs a transaction');
  await sql`select pg_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(${actorId}))`.execute(trx);
}

/** Drops the actor's rows that no window can count any more. */
export async function forgetBefore(trx: BudgetDb, actorId: string, before: Date): Promise<void> {
  await trx
    .deleteFrom('piiReveals')
    .where('actorId', '=', actorId)
    .where('revealedAt', '<=', before)
    .execute();
}

export interface WindowStats {
  /** Distinct subjects revealed since `hourStart`, and the earliest of their latest reveals. */
  readonly hourCount: number;
  readonly hourOldest: Date | null;
  /** The same since `dayStart`. */
  readonly dayCount: number;
  readonly dayOldest: Date | null;
  /** When the actor last revealed this subject (within the day), or null. */
  readonly subjectLast: Date | null;
}

/** One round trip: what the actor has revealed in each window, and whether this subject is among it. */
export async function windowStats(
  trx: BudgetDb,
  actorId: string,
  subjectId: string,
  hourStart: Date,
  dayStart: Date,
): Promise<WindowStats> {
  const result = await sql<{
    hourCount: string | number;
    hourOldest: Date | null;
    dayCount: string | number;
    dayOldest: Date | null;
    subjectLast: Date | null;
  }>`select
      count(*) filter (where revealed_at > ${hourStart}) as hour_count,
      min(revealed_at) filter (where revealed_at > ${hourStart}) as hour_oldest,
      count(*) as day_count,
      min(revealed_at) as day_oldest,
      max(revealed_at) filter (where subject_id = ${subjectId}) as subject_last
    from pii_reveals
    where actor_id = ${actorId} and revealed_at > ${dayStart}`.execute(trx);
  const row = result.rows[0];
  return {
    hourCount: Number(row?.hourCount ?? 0),
    hourOldest: toDate(row?.hourOldest),
    dayCount: Number(row?.dayCount ?? 0),
    dayOldest: toDate(row?.dayOldest),
    subjectLast: toDate(row?.subjectLast),
  };
}

/** Records the reveal; a subject revealed again keeps its latest time only. */
export async function recordReveal(
  trx: BudgetDb,
  actorId: string,
  subjectId: string,
  at: Date,
): Promise<void> {
  await trx
    .insertInto('piiReveals')
    .values({ actorId, subjectId, revealedAt: at })
    .onConflict((oc) =>
      oc
        .columns(['actorId', 'subjectId'])
        .doUpdateSet({ revealedAt: sql`greatest(pii_reveals.revealed_at, excluded.revealed_at)` }),
    )
    .execute();
}

function toDate(value: Date | string | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(value);
}
