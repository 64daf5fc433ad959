import { bodyPrefix, hashBody } from './entry-codec.ts';

/** What went wrong, at the first entry where it did. */
export type ProblemKind =
  | 'modified'
  | 'deleted'
  | 'inserted'
  | 'reordered'
  | 'missing_tail'
  | 'rewritten'
  | 'checkpoint_forged'
  | 'schema_altered';

export interface TrailProblem {
  readonly kind: ProblemKind;
  /** The entry named: the modified, inserted or moved one, or the first one missing. */
  readonly seq: number;
  readonly detail: string;
}

/** The first row that did not fit, with what the walk expected there. */
export interface Misfit {
  readonly rowSeq: number;
  readonly hash: string;
  readonly body: string;
  /** The position it should have filled, and the chain up to it. */
  readonly expectedSeq: number;
  readonly prev: string;
  readonly prevPrev: string | null;
}

/**
 * Walks the chain in sequence order with constant memory: each row must start with the previous hash
 * and its own position, and hash to its stored hash; the hash at every signed checkpoint must be the
 * checkpoint's. Stops at the first row that does not fit; `Diagnose` then names what happened.
 */
export class ChainWalker {
  #expected: number;
  #prev: string;
  #prevPrev: string | null = null;
  #count = 0;
  #misfit: Misfit | null = null;
  #problem: TrailProblem | null = null;
  readonly #checkpoints: ReadonlyMap<number, string>;
  readonly #checkpointSeqs: readonly number[];
  #nextCheckpoint = 0;

  /** `anchor.prevHash`: the hash before the anchor, when the walk starts in the middle of a chain. */
  constructor(
    anchor: { seq: number; hash: string; prevHash?: string },
    checkpoints: ReadonlyMap<number, string>,
  ) {
    this.#expected = anchor.seq + 1;
    this.#prev = anchor.hash;
    this.#prevPrev = anchor.prevHash ?? null;
    this.#checkpoints = checkpoints;
    this.#checkpointSeqs = [...checkpoints.keys()].filter((seq) => seq > anchor.seq).sort((a, b) => a - b);
  }

  get count(): number {
    return this.#count;
  }
  get lastSeq(): number {
    return this.#expected - 1;
  }
  get lastHash(): string {
    return this.#prev;
  }
  get failed(): boolean {
    return this.#misfit !== null || this.#problem !== null;
  }
  get misfit(): Misfit | null {
    return this.#misfit;
  }
  get problem(): TrailProblem | null {
    return this.#problem;
  }

  /** One row; false once the walk has stopped. `body` may be UTF-8 bytes (COPY) or text. */
  push(rowSeq: number, hash: string, body: string | Buffer): boolean {
    if (this.failed) return false;
    const seq = this.#expected;
    const prefix = bodyPrefix(this.#prev, seq);
    const head =
      typeof body === 'string' ? body.slice(0, prefix.length) : body.toString('latin1', 0, prefix.length);
    if (rowSeq !== seq || head !== prefix || hashBody(body) !== hash) {
      this.#misfit = {
        rowSeq,
        hash,
        body: typeof body === 'string' ? body : body.toString('utf8'),
        expectedSeq: seq,
        prev: this.#prev,
        prevPrev: this.#prevPrev,
      };
      return false;
    }
    this.#prevPrev = this.#prev;
    this.#prev = hash;
    this.#expected = seq + 1;
    this.#count += 1;
    if (seq === this.#checkpointSeqs[this.#nextCheckpoint]) {
      this.#nextCheckpoint += 1;
      if (this.#checkpoints.get(seq) !== hash) {
        const before = this.#checkpointSeqs[this.#nextCheckpoint - 2] ?? 0;
        this.#problem = {
          kind: 'rewritten',
          seq: before + 1,
          detail: `entries ${before + 1} to ${seq} no longer hash to the signed checkpoint at entry ${seq}: they were rewritten and re-hashed`,
        };
        return false;
      }
    }
    return true;
  }

  /** After the last row: a signed checkpoint beyond the last entry means the tail was cut off. */
  finish(): TrailProblem | null {
    if (this.#problem || this.#misfit) return this.#problem;
    const beyond = this.#checkpointSeqs[this.#checkpointSeqs.length - 1];
    if (beyond !== undefined && beyond > this.lastSeq) {
      this.#problem = {
        kind: 'missing_tail',
        seq: this.lastSeq + 1,
        detail: `entries ${this.lastSeq + 1} to ${beyond} are missing: a signed checkpoint covers ${beyond} entries, the trail ends at ${this.lastSeq}`,
      };
    }
    return this.#problem;
  }
}
