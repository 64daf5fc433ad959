/**
 * Sliding-window counters, distinct counts and per-principal baselines, in memory and bounded: an
 * attacker who invents keys (networks, account indexes) evicts the oldest keys, never grows the heap.
 * Nodes add up their evidence by all reading the same event stream (transport.ts), not by sharing these.
 */
export const MAX_WINDOW_KEYS = 200_000;
/** Occurrences kept per counter: enough for any threshold; a flood beyond it still reads as a flood. */
export const MAX_PER_COUNTER = 100_000;

export class SlidingWindows {
  readonly #counts = new Map<string, number[]>();
  readonly #distinct = new Map<string, Map<string, number>>();
  readonly #baselines = new Map<
    string,
    { bucket: number; count: number; average: number; buckets: number }
  >();

  constructor(readonly maxKeys = MAX_WINDOW_KEYS) {}

  /** Adds one occurrence at `atMs` and returns how many fall within the window ending there. */
  count(key: string, atMs: number, windowMs: number): number {
    const times = this.#touch(this.#counts, key, () => []);
    times.push(atMs);
    if (times.length > MAX_PER_COUNTER) times.splice(0, times.length - MAX_PER_COUNTER);
    return trim(times, atMs - windowMs);
  }

  /** How many occurrences of `key` fall within the window ending at `atMs`, without adding one. */
  peek(key: string, atMs: number, windowMs: number): number {
    const times = this.#counts.get(key);
    return times ? trim(times, atMs - windowMs) : 0;
  }

  /** Records `member` under `key` at `atMs`; returns how many distinct members were seen in the window. */
  distinct(key: string, member: string, atMs: number, windowMs: number): number {
    const members = this.#touch(this.#distinct, key, () => new Map<string, number>());
    // Delete then set, so insertion order is last-seen order and stale members sit at the front.
    members.delete(member);
    members.set(member, atMs);
    const cutoff = atMs - windowMs;
    for (const [name, seen] of members) {
      if (seen > cutoff) break;
      members.delete(name);
    }
    return members.size;
  }

  /** Whether `member` was seen under `key` within the window ending at `atMs`. */
  seen(key: string, member: string, atMs: number, windowMs: number): boolean {
    const at = this.#distinct.get(key)?.get(member);
    return at !== undefined && at > atMs - windowMs;
  }

  /**
   * Counts one occurrence for `key` in fixed buckets of `bucketMs` and returns the count in the current
   * bucket with the key's own baseline: the average of its earlier buckets (exponentially weighted), and
   * how many buckets that average has seen (0 for a principal with no history).
   */
  baseline(
    key: string,
    atMs: number,
    bucketMs: number,
  ): { current: number; average: number; buckets: number } {
    const bucket = Math.floor(atMs / bucketMs);
    const state = this.#touch(this.#baselines, key, () => ({ bucket, count: 0, average: 0, buckets: 0 }));
    if (state.bucket !== bucket) {
      // Empty buckets in between count as zero: a quiet principal's baseline falls.
      const gap = Math.min(bucket - state.bucket - 1, 50);
      state.average = state.buckets === 0 ? state.count : 0.8 * state.average + 0.2 * state.count;
      for (let i = 0; i < gap; i += 1) state.average *= 0.8;
      state.buckets += 1 + gap;
      state.bucket = bucket;
      state.count = 0;
    }
    state.count += 1;
    return { current: state.count, average: state.average, buckets: state.buckets };
  }

  get size(): number {
    return this.#counts.size + this.#distinct.size + this.#baselines.size;
  }

  #touch<V>(map: Map<string, V>, key: string, create: () => V): V {
    let value = map.get(key);
    if (value === undefined) {
      if (map.size >= this.maxKeys) {
        const oldest = map.keys().next();
        if (!oldest.done) map.delete(oldest.value);
      }
      value = create();
      map.set(key, value);
    }
    return value;
  }
}

/** Drops timestamps at or before `cutoff` (they are in order) and returns how many remain. */
function trim(times: number[], cutoff: number): number {
  let drop = 0;
  while (drop < times.length && (times[drop] as number) <= cutoff) drop += 1;
  if (drop > 0) times.splice(0, drop);
  return times.length;
}
