/** Runs `n` operations. Whole batches are timed, so the per-operation cost of timing stays out. */
export type Batch = (n: number) => unknown;

export interface Plan {
  readonly warmupBatches: number;
  readonly batches: number;
  readonly batchSize: number;
}

/**
 * Median nanoseconds per operation for each case. Batches take turns between the cases, so drift
 * (GC, JIT, a growing table, a busy machine) falls on a figure and its baseline alike.
 */
export async function measure<K extends string>(
  cases: Record<K, Batch>,
  plan: Plan,
): Promise<Record<K, number>> {
  const names = Object.keys(cases) as K[];
  const samples = new Map<K, number[]>(names.map((name) => [name, []]));
  for (let round = 0; round < plan.warmupBatches + plan.batches; round++) {
    for (const name of names) {
      const start = process.hrtime.bigint();
      await cases[name](plan.batchSize);
      const perOp = Number(process.hrtime.bigint() - start) / plan.batchSize;
      if (round >= plan.warmupBatches) samples.get(name)?.push(perOp);
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(samples.get(name) ?? [])])) as Record<
    K,
    number
  >;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
