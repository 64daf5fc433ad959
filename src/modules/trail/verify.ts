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
}

const PAGE = 5_000;
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
  const walker = new ChainWalker(anchor, checkpoints.claims);
  const total = Math.max(head.seq - anchor.seq, 0);
  const label = 'verifying the trail';
  let sinceProgress = 0;
  const tick = () => {
    sinceProgress += 1;
    if (sinceProgress >= PROGRESS_EVERY) {
      sinceProgress = 0;
      onProgress({ done: walker.count, total, label });
    }
  };
  onProgress({ done: 0, total, label });
  if (deps.connectionString) {
    await copyEntriesInto(deps.connectionString, anchor.seq, walker, tick);
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
        if (!walker.push(row.seq, row.hash, row.body)) {
          stopped = true;
          break;
        }
      }
      onProgress({ done: walker.count, total, label });
      if (stopped) break;
      after = (rows[rows.length - 1] as { seq: number }).seq;
    }
  }
  let problem = walker.finish();
  if (!problem && walker.misfit) problem = await diagnose(walker.misfit, lookup(deps.db));
  if (!problem && checkpoints.forged !== null) {
    problem = {
      kind: 'checkpoint_forged',
      seq: checkpoints.forged,
      detail: `the checkpoint claiming entry ${checkpoints.forged} does not carry a valid signature from a trusted key`,
    };
  }
  onProgress({ done: walker.count, total, label });
  const seconds = (performance.now() - started) / 1000;
  return {
    ok: problem === null,
    entries: walker.count,
    fromSeq: anchor.seq + 1,
    lastSeq: walker.lastSeq,
    checkpoints: {
      trusted: checkpoints.claims.size,
      fromDatabase: checkpoints.fromDatabase,
      fromFile: checkpoints.fromFile,
    },
    problem,
    seconds,
    entriesPerSecond: seconds > 0 ? Math.round(walker.count / seconds) : 0,
  };
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
