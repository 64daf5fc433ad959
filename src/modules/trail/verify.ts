import os from 'node:os';
import { sql } from 'kysely';
import type { CheckpointPublicKey, CheckpointSigner } from '../vault/index.ts';
import { ChainWalker, type TrailProblem } from './chain-walker.ts';
import { trustedCheckpoints } from './checkpoints.ts';
import { type ChainLookup, diagnose } from './diagnose.ts';
import { walkRangesOnThreads } from './range-workers.ts';
import { readAnchor, readHead } from './trail.repository.ts';
import type { TrailDb } from './trail.tables.ts';
import { type RangeJob, type RangeResult, verifyRange } from './verify-range.ts';

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
  /** PostgreSQL: stream with binary COPY on connections of their own. Null: keyset pages (PGlite). */
  readonly connectionString: string | null;
  /** Trails at least this long are cut into ranges walked on several threads at once (PostgreSQL). */
  readonly parallelFrom?: number;
  /** Threads that hash (this one and workers); by default one per two cores. */
  readonly threads?: number;
}

const PAGE = 5_000;
// Below this many entries one stream on this thread is as fast as starting worker threads.
const PARALLEL_FROM = 1_000_000;
// Each hashing thread keeps a PostgreSQL backend busy producing its COPY stream (about two thirds of the
// thread's own work): with the database on the same machine, a thread per two cores. On two cores one
// stream is the fastest (measured: 5 million entries, ~540,000 a second against ~490,000 with two).
const DEFAULT_THREADS = Math.min(Math.max(Math.floor(os.availableParallelism() / 2), 1), 8);
// Ranges are handed to threads as they come free, so they are small enough to balance the threads' work.
const RANGE_ENTRIES = 250_000;
const MIN_RANGES = 4;

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
  const progress = (rows: number) => {
    checked += rows;
    onProgress({ done: checked, total, label });
  };
  onProgress({ done: 0, total, label });
  const ranges = deps.connectionString
    ? await walkRanges(deps, deps.connectionString, anchor, total, checkpoints.claims, progress)
    : [await walkPages(deps.db, anchor, checkpoints.claims, progress)];
  // Ranges are judged in order: the first one with a problem holds the first bad entry.
  const failedAt = ranges.findIndex((range) => range.misfit || range.problem);
  const judged = failedAt === -1 ? ranges.length - 1 : failedAt;
  const walked = ranges[judged] as RangeResult;
  let problem = (await schemaProblem(deps.db)) ?? walked.problem;
  if (!problem && walked.misfit) problem = await diagnose(walked.misfit, lookup(deps.db));
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
    entries: ranges.slice(0, judged + 1).reduce((sum, range) => sum + range.count, 0),
    fromSeq: anchor.seq + 1,
    lastSeq: walked.lastSeq,
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

type Anchor = { seq: number; hash: string; prevHash?: string };

/**
 * PostgreSQL: one COPY stream, or, for a long trail, ranges joined at entries that exist and walked on
 * every core at once, each with a COPY of its own (hashing is the cost). A range's last entry is the next
 * range's anchor, so the walk of the earlier range checks the hash the later one starts from.
 */
async function walkRanges(
  deps: VerifyDeps,
  connectionString: string,
  anchor: Anchor,
  total: number,
  claims: ReadonlyMap<number, string>,
  progress: (rows: number) => void,
): Promise<RangeResult[]> {
  const threads = deps.threads ?? DEFAULT_THREADS;
  const parallel = threads > 1 && total >= (deps.parallelFrom ?? PARALLEL_FROM);
  const count = parallel ? Math.max(Math.ceil(total / RANGE_ENTRIES), MIN_RANGES) : 1;
  const anchors: Anchor[] = [anchor];
  for (let k = 1; k < count; k += 1) {
    const split = await entryAtOrAfter(deps.db, anchor.seq + Math.floor((total * k) / count));
    const last = anchors[anchors.length - 1] as Anchor;
    if (split && split.seq > last.seq) anchors.push(split);
  }
  const jobs: RangeJob[] = anchors.map((from, i) => {
    const upToSeq = anchors[i + 1]?.seq ?? null;
    return {
      connectionString,
      anchor: from,
      upToSeq,
      claims: [...claims].filter(([seq]) => seq > from.seq && (upToSeq === null || seq <= upToSeq)),
    };
  });
  if (jobs.length === 1) return [await verifyRange({ ...(jobs[0] as RangeJob), whole: true }, progress)];
  const results = await walkRangesOnThreads(jobs, threads, progress);
  const walked: RangeResult[] = [];
  for (const [i, result] of results.entries()) {
    if (!result) break;
    walked.push(endsWhereTheNextBegins(result, jobs[i]?.upToSeq ?? null));
  }
  return walked;
}

/** A range that stopped short of the entry the next range starts from lost the entries in between. */
function endsWhereTheNextBegins(result: RangeResult, upToSeq: number | null): RangeResult {
  if (upToSeq === null || result.misfit || result.problem || result.lastSeq === upToSeq) return result;
  return {
    ...result,
    problem: {
      kind: 'deleted',
      seq: result.lastSeq + 1,
      detail: `entries ${result.lastSeq + 1} to ${upToSeq} are missing`,
    },
  };
}

/** PGlite (in process): keyset pages of rows through one walker. */
async function walkPages(
  db: TrailDb,
  anchor: Anchor,
  claims: ReadonlyMap<number, string>,
  progress: (rows: number) => void,
): Promise<RangeResult> {
  const walker = new ChainWalker(anchor, claims);
  let after = anchor.seq;
  for (;;) {
    const rows = await db
      .selectFrom('trailEntries')
      .select(['seq', 'hash', 'body'])
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(PAGE)
      .execute();
    if (rows.length === 0) break;
    const before = walker.count;
    const stopped = rows.some((row) => !walker.push(row.seq, row.hash, row.body));
    progress(walker.count - before);
    if (stopped) break;
    after = (rows[rows.length - 1] as { seq: number }).seq;
  }
  const problem = walker.finish();
  return { count: walker.count, lastSeq: walker.lastSeq, misfit: walker.misfit, problem };
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
