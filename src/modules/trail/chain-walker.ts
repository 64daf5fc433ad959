import { bodyPrefix, hashBody } from './entry-codec.ts';

const QUOTE = 0x22;
const COMMA = 0x2c;
const OPEN = 0x5b;
const ZERO = 0x30;
const NINE = 0x39;

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

  /** One row as text (keyset pages, archives); false once the walk has stopped. */
  push(rowSeq: number, hash: string, body: string | Buffer): boolean {
    if (this.failed) return false;
    const seq = this.#expected;
    const prefix = bodyPrefix(this.#prev, seq);
    const head =
      typeof body === 'string' ? body.slice(0, prefix.length) : body.toString('latin1', 0, prefix.length);
    if (rowSeq !== seq || head !== prefix || hashBody(body) !== hash) return this.#stop(rowSeq, hash, body);
    return this.#accept(hash);
  }

  /**
   * One row of binary COPY, checked where it lies in `data` (the verifier's hot path: ten million rows
   * cost no string but the digest). `hashAt..bodyAt - 4` holds the stored hash, `bodyAt..bodyEnd` the body.
   */
  pushCopied(rowSeq: number, data: Buffer, hashAt: number, bodyAt: number, bodyEnd: number): boolean {
    if (this.failed) return false;
    const body = data.subarray(bodyAt, bodyEnd);
    const digest = hashBody(body);
    // Strings made from the bytes compare faster than a loop over the digest's characters (measured).
    const stored = data.toString('latin1', hashAt, bodyAt - 4);
    if (rowSeq !== this.#expected || stored !== digest || !this.#startsWithPlace(data, bodyAt, bodyEnd)) {
      return this.#stop(rowSeq, stored, body);
    }
    return this.#accept(digest);
  }

  /** Whether the body starts with bodyPrefix(prev, seq), byte for byte: `["<prev>",<seq>,`. */
  #startsWithPlace(data: Buffer, at: number, end: number): boolean {
    const prev = this.#prev;
    const digitsAt = at + prev.length + 4;
    if (end - digitsAt < 2 || data[at] !== OPEN || data[at + 1] !== QUOTE) return false;
    if (data.toString('latin1', at + 2, digitsAt - 2) !== prev) return false;
    if (data[digitsAt - 2] !== QUOTE || data[digitsAt - 1] !== COMMA) return false;
    // The decimal digits of seq, without a leading zero, then a comma.
    let value = 0;
    let p = digitsAt;
    for (; p < end && p - digitsAt <= 16; p += 1) {
      const byte = data[p] as number;
      if (byte < ZERO || byte > NINE) break;
      value = value * 10 + (byte - ZERO);
    }
    const digits = p - digitsAt;
    if (digits === 0 || (digits > 1 && data[digitsAt] === ZERO)) return false;
    return value === this.#expected && data[p] === COMMA;
  }

  #stop(rowSeq: number, hash: string, body: string | Buffer): false {
    this.#misfit = {
      rowSeq,
      hash,
      body: typeof body === 'string' ? body : body.toString('utf8'),
      expectedSeq: this.#expected,
      prev: this.#prev,
      prevPrev: this.#prevPrev,
    };
    return false;
  }

  #accept(hash: string): boolean {
    const seq = this.#expected;
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

  /** Forgets a misfit (not a problem) so the walk goes on from the last row that fitted. */
  forgetMisfit(): void {
    this.#misfit = null;
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
