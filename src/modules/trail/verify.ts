import { sql } from 'kysely';
import type { CheckpointPublicKey, CheckpointSigner } from '../vault/index.ts';
import { ChainWalker, type TrailProblem } from './chain-walker.ts';
import { trustedCheckpoints } from './checkpoints.ts';
import { type ChainLookup, diagnose } from './diagnose.ts';
import { copyEntriesInto } from './pg-copy.ts';
import { readAnchor, readHead } from './trail.repository.ts';
import type { TrailDb } from './trail.tables.ts';

export interface VerifyReport {
  readonly ok: boolean;
  /** Entries checked, from the first after the anchor (genesis, or the newest archived period). */
  readonly entries: number;
  readonly fromSeq: number;
  readonly lastSeq: number;
  readonly checkpoints: {
    readonly trusted: number;
    readonly fromDatabase: number;
    readonly fromFile: number;
  };
  readonly problem: TrailProblem | null;
  readonly seconds: number;
  readonly entriesPerSecond: number;
}

export type VerifyProgress = (progress: { done: number; total: number; label: string }) => void;

export interface VerifyDeps {
  readonly db: TrailDb;
  readonly signer: CheckpointSigner;
  readonly checkpointFile: string;
  /** PostgreSQL: stream with binary COPY on a connection of its own. Null: keyset pages (PGlite). */
  readonly connectionString: string | null;
  /** Trails at least this long are read in two streams at once (PostgreSQL). */
  readonly parallelFrom?: number;
}

const PAGE = 5_000;
// Below this many entries one stream is as fast as two.
const PARALLEL_FROM = 100_000;
const PROGRESS_EVERY = 50_000;

/**
 * Checks the whole trail in sequence order with constant memory: every hash, every link, every signed
 * checkpoint (from the database and from the file outside it), and a cut-off tail. Names the first bad entry.
 */
export async function verifyTrail(
  deps: VerifyDeps,
  onProgress: VerifyProgress = () => {},
): Promise<VerifyReport> {
  const started = performance.now();
  const anchor = await readAnchor(deps.db);
  const head = await readHead(deps.db);
  const checkpoints = await trustedCheckpoints(deps.db, deps.signer, deps.checkpointFile);
  const total = Math.max(head.seq - anchor.seq, 0);
  const label = 'verifying the trail';
  let checked = 0;
  let sinceProgress = 0;
  const tick = () => {
    checked += 1;
    sinceProgress += 1;
    if (sinceProgress >= PROGRESS_EVERY) {
      sinceProgress = 0;
      onProgress({ done: checked, total, label });
    }
  };
  onProgress({ done: 0, total, label });
  // PostgreSQL: two COPY streams over the two halves at once (the server works on both while this
  // process parses and hashes), joined at an entry that exists; the first half's walk checks that entry's
  // hash, which is the second half's anchor.
  const split =
    deps.connectionString && total >= (deps.parallelFrom ?? PARALLEL_FROM)
      ? await entryAtOrAfter(deps.db, anchor.seq + Math.floor(total / 2))
      : null;
  const claimsUpTo = (from: number, to: number) =>
    new Map([...checkpoints.claims].filter(([seq]) => seq > from && seq <= to));
  const first = new ChainWalker(anchor, split ? claimsUpTo(anchor.seq, split.seq) : checkpoints.claims);
  const second = split ? new ChainWalker(split, claimsUpTo(split.seq, Number.MAX_SAFE_INTEGER)) : null;
  if (deps.connectionString) {
    const url = deps.connectionString;
    await Promise.all([
      copyEntriesInto(url, anchor.seq, first, tick, split?.seq ?? null),
      second && split ? copyEntriesInto(url, split.seq, second, tick) : null,
    ]);
  } else {
    let after = anchor.seq;
    for (;;) {
      const rows = await deps.db
        .selectFrom('trailEntries')
        .select(['seq', 'hash', 'body'])
        .where('seq', '>', after)
        .orderBy('seq')
        .limit(PAGE)
        .execute();
      if (rows.length === 0) break;
      let stopped = false;
      for (const row of rows) {
        if (!first.push(row.seq, row.hash, row.body)) {
          stopped = true;
          break;
        }
      }
      checked = first.count;
      onProgress({ done: checked, total, label });
      if (stopped) break;
      after = (rows[rows.length - 1] as { seq: number }).seq;
    }
  }
  // The first half is judged first: its problem, if any, is the first bad entry.
  const walker = second && !first.failed ? second : first;
  let problem =
    (await schemaProblem(deps.db)) ?? (walker === first && second ? first.problem : walker.finish());
  if (!problem && walker.misfit) problem = await diagnose(walker.misfit, lookup(deps.db));
  if (!problem && checkpoints.forged !== null) {
    problem = {
      kind: 'checkpoint_forged',
      seq: checkpoints.forged,
      detail: `the checkpoint claiming entry ${checkpoints.forged} does not carry a valid signature from a trusted key`,
    };
  }
  onProgress({ done: checked, total, label });
  const seconds = (performance.now() - started) / 1000;
  return {
    ok: problem === null,
    entries: first.failed ? first.count : first.count + (second?.count ?? 0),
    fromSeq: anchor.seq + 1,
    lastSeq: walker.lastSeq,
    checkpoints: {
      trusted: checkpoints.claims.size,
      fromDatabase: checkpoints.fromDatabase,
      fromFile: checkpoints.fromFile,
    },
    problem,
    seconds,
    entriesPerSecond: seconds > 0 ? Math.round(checked / seconds) : 0,
  };
}

// Searches and scope read these columns; they must stay generated from the hashed body, or someone who
// dropped a generation expression could edit what searches show while every hash still checks.
const GENERATED = ['prev_hash', 'at', 'actor_kind', 'actor_id', 'action', 'subjects', 'fields'];

async function schemaProblem(db: TrailDb): Promise<TrailProblem | null> {
  // The camel-case plugin renames result columns: column_name arrives as columnName.
  const { rows } = await sql<{ columnName: string }>`
    select column_name from information_schema.columns
    where table_name = 'trail_entries' and table_schema = current_schema() and is_generated = 'ALWAYS'`.execute(
    db,
  );
  const generated = new Set(rows.map((row) => row.columnName));
  const lost = GENERATED.filter((column) => !generated.has(column));
  if (lost.length === 0) return null;
  return {
    kind: 'schema_altered',
    seq: 0,
    detail: `trail_entries.${lost.join(', ')} no longer generated from the hashed body: searches and scope may not show what was recorded`,
  };
}

async function entryAtOrAfter(db: TrailDb, seq: number) {
  return (
    (await db
      .selectFrom('trailEntries')
      .select(['seq', 'hash', 'prevHash'])
      .where('seq', '>=', seq)
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst()) ?? null
  );
}

function lookup(db: TrailDb): ChainLookup {
  return {
    async rowAfter(seq) {
      return (
        (await db
          .selectFrom('trailEntries')
          .select(['seq', 'hash', 'body'])
          .where('seq', '>', seq)
          .orderBy('seq')
          .limit(1)
          .executeTakeFirst()) ?? null
      );
    },
    async positionOf(seq, prev) {
      // Diagnosis only: a scan is acceptable here (it runs once, after the walk has found a misfit).
      const row = await db
        .selectFrom('trailEntries')
        .select('seq')
        .where('prevHash', '=', prev)
        .where(sql<boolean>`(body::jsonb ->> 1)::bigint = ${seq}`)
        .limit(1)
        .executeTakeFirst();
      return row?.seq ?? null;
    },
  };
}

export type { CheckpointPublicKey };
