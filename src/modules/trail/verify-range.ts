import { ChainWalker, type Misfit, type TrailProblem } from './chain-walker.ts';
import { copyEntriesInto } from './pg-copy.ts';

/** One stretch of the chain, walked by itself: after `anchor` up to `upToSeq` (null: to the end). */
export interface RangeJob {
  readonly connectionString: string;
  readonly anchor: { readonly seq: number; readonly hash: string; readonly prevHash?: string };
  readonly upToSeq: number | null;
  /** Signed checkpoints inside the range: [seq, head hash]. */
  readonly claims: readonly (readonly [number, string])[];
  /** The whole trail in one range: read in stored order first (see CopyOrder). */
  readonly whole?: boolean;
}

export interface RangeResult {
  readonly count: number;
  readonly lastSeq: number;
  readonly misfit: Misfit | null;
  readonly problem: TrailProblem | null;
}

/** Rows walked between two progress reports. */
export const PROGRESS_EVERY = 50_000;

/** Walks one range with binary COPY; `onProgress` hears how many rows were checked since it last did. */
export async function verifyRange(job: RangeJob, onProgress: (rows: number) => void): Promise<RangeResult> {
  const walker = new ChainWalker(job.anchor, new Map(job.claims));
  let unreported = 0;
  const counted = () => {
    unreported += 1;
    if (unreported === PROGRESS_EVERY) {
      onProgress(unreported);
      unreported = 0;
    }
  };
  // The whole trail: first in stored order, the cheap scan; from the first row out of place (or a real
  // misfit) on, in sequence order, which finds and names the misfit if it is one. Ranges are read through
  // the primary key (a scan would read the whole table for each).
  if (job.whole) {
    await copyEntriesInto(job.connectionString, job.anchor.seq, walker, counted, null, 'stored');
    if (!walker.misfit) return finished(walker, unreported, onProgress);
    walker.forgetMisfit();
  }
  await copyEntriesInto(job.connectionString, walker.lastSeq, walker, counted, job.upToSeq);
  return finished(walker, unreported, onProgress);
}

function finished(walker: ChainWalker, unreported: number, onProgress: (rows: number) => void): RangeResult {
  if (unreported > 0) onProgress(unreported);
  const problem = walker.finish();
  return { count: walker.count, lastSeq: walker.lastSeq, misfit: walker.misfit, problem };
}
