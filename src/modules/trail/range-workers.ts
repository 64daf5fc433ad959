import { Worker } from 'node:worker_threads';
import { type RangeJob, type RangeResult, verifyRange } from './verify-range.ts';

const BOOT = new URL('./verify-range.boot.mjs', import.meta.url);

type WorkerMessage = { progress: number } | { result: RangeResult } | { error: string };

/**
 * Walks every range on `threads` threads (this one and workers). Each thread starts with a range of its
 * own, then takes the next one as it finishes, so a worker's start-up (loading the sources, about a
 * second) costs no idle time: this thread walks ranges meanwhile. Ranges after one that failed are not
 * started; only the first bad entry counts. Results come back in range order (null: not walked).
 */
export async function walkRangesOnThreads(
  jobs: readonly RangeJob[],
  threads: number,
  onProgress: (rows: number) => void,
): Promise<(RangeResult | null)[]> {
  const results: (RangeResult | null)[] = jobs.map(() => null);
  const workers = Array.from(
    { length: Math.max(Math.min(threads, jobs.length) - 1, 0) },
    () => new RangeWorker(onProgress),
  );
  let next = workers.length + 1;
  let firstFailed = Number.POSITIVE_INFINITY;
  const runner = async (first: number, walk: (job: RangeJob) => Promise<RangeResult>) => {
    for (let index = first; index < jobs.length && index < firstFailed; index = next++) {
      const result = await walk(jobs[index] as RangeJob);
      results[index] = result;
      if ((result.misfit || result.problem) && index < firstFailed) firstFailed = index;
    }
  };
  try {
    await Promise.all([
      runner(0, (job) => verifyRange(job, onProgress)),
      ...workers.map((worker, i) => runner(i + 1, (job) => worker.walk(job))),
    ]);
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
  }
  return results;
}

/** A worker thread that walks the ranges it is sent, one at a time. */
class RangeWorker {
  readonly #worker = new Worker(BOOT);
  #pending: { resolve: (result: RangeResult) => void; reject: (error: Error) => void } | null = null;
  #failure: Error | null = null;

  constructor(onProgress: (rows: number) => void) {
    this.#worker.on('message', (message: WorkerMessage) => {
      if ('progress' in message) return onProgress(message.progress);
      const pending = this.#pending;
      this.#pending = null;
      if ('result' in message) pending?.resolve(message.result);
      else pending?.reject(new Error(`trail verification worker: ${message.error}`));
    });
    const fail = (error: Error) => {
      this.#failure = error;
      this.#pending?.reject(error);
      this.#pending = null;
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) =>
      fail(new Error(`trail verification worker stopped (exit code ${code})`)),
    );
  }

  walk(job: RangeJob): Promise<RangeResult> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#worker.postMessage(job);
    });
  }

  async stop(): Promise<void> {
    this.#worker.removeAllListeners('exit');
    await this.#worker.terminate();
  }
}
