import pg from 'pg';
import type { ChainWalker } from './chain-walker.ts';
import { CopyOutQuery } from './pg-copy-out.ts';

// PGCOPY\n\377\r\n\0, then a 32-bit flags field and a 32-bit header-extension length.
const SIGNATURE_BYTES = 11;
const HEADER_BYTES = SIGNATURE_BYTES + 8;
const TWO_TO_32 = 2 ** 32;

/** A row where it lies: the stored hash at `hashAt..bodyAt - 4`, the body at `bodyAt..bodyEnd`. */
export type CopiedRow = (
  seq: number,
  data: Buffer,
  hashAt: number,
  bodyAt: number,
  bodyEnd: number,
) => boolean;

/**
 * Reads PostgreSQL's binary COPY format for rows of `seq bigint, hash text, body text` from chunks of any
 * size (a row may span chunks), handing each row to `onRow` where it lies, until it returns false.
 */
export class EntryCopyReader {
  #rest: Buffer | null = null;
  #headerSeen = false;
  #stopped = false;
  readonly #onRow: CopiedRow;

  constructor(onRow: CopiedRow) {
    this.#onRow = onRow;
  }

  /** False once a row was refused or the trailer was read: nothing more is wanted. */
  feed(chunk: Buffer): boolean {
    if (this.#stopped) return false;
    const buf = this.#rest ? Buffer.concat([this.#rest, chunk]) : chunk;
    this.#rest = null;
    let at = 0;
    if (!this.#headerSeen) {
      if (buf.length < HEADER_BYTES) {
        this.#rest = buf;
        return true;
      }
      at = HEADER_BYTES + buf.readInt32BE(SIGNATURE_BYTES + 4);
      this.#headerSeen = true;
    }
    const end = buf.length;
    while (end - at >= 2) {
      if (buf.readInt16BE(at) === -1) {
        this.#stopped = true;
        return false;
      }
      // Per row: a field count (16 bits); seq as a length (32) and an int8; hash and body each a length
      // (32) and their bytes. None of the three columns is null, so every length is a real one.
      const hashAt = at + 14;
      if (end - hashAt < 4) break;
      const bodyAt = hashAt + 4 + buf.readInt32BE(hashAt);
      if (end - bodyAt < 4) break;
      const next = bodyAt + 4 + buf.readInt32BE(bodyAt);
      if (next > end) break;
      // Two 32-bit halves: sequence numbers stay far below 2^53, and this avoids a BigInt per row.
      const seq = buf.readInt32BE(at + 6) * TWO_TO_32 + buf.readUInt32BE(at + 10);
      if (!this.#onRow(seq, buf, hashAt + 4, bodyAt + 4, next)) {
        this.#stopped = true;
        return false;
      }
      at = next;
    }
    if (at < end) this.#rest = buf.subarray(at);
    return true;
  }
}

/**
 * `sequence`: in sequence order, through the primary key. `stored`: in the order the rows lie in the
 * table, a plain sequential scan at about half the server's cost; an append-only table lies in sequence
 * order until retention frees pages that later appends fill, and the walker refuses the first row out of
 * order, so the caller then goes on in `sequence` order from there.
 */
export type CopyOrder = 'sequence' | 'stored';

/**
 * Streams `seq, hash, body` of every entry after `afterSeq` (up to `upToSeq`) into the walker with
 * PostgreSQL's binary COPY, read straight off the socket (see CopyOutQuery), so that the cost per entry
 * is little more than its SHA-256. Its own connection, without the pool's statement timeout (a large
 * trail takes minutes), and constant memory. Reading stops at the first row the walker refuses.
 */
export async function copyEntriesInto(
  connectionString: string,
  afterSeq: number,
  walker: ChainWalker,
  onRow: () => void,
  upToSeq: number | null = null,
  order: CopyOrder = 'sequence',
): Promise<void> {
  const client = new pg.Client({ connectionString, statement_timeout: 0 });
  // Closing the connection under a COPY that was stopped early makes pg report it as an error.
  client.on('error', () => {});
  await client.connect();
  // A scan may otherwise join another one already under way, and start in the middle of the table.
  if (order === 'stored') await client.query('set synchronize_seqscans = off');
  const reader = new EntryCopyReader((seq, data, hashAt, bodyAt, bodyEnd) => {
    if (!walker.pushCopied(seq, data, hashAt, bodyAt, bodyEnd)) return false;
    onRow();
    return true;
  });
  const range = `seq > ${Math.trunc(afterSeq)}${upToSeq === null ? '' : ` and seq <= ${Math.trunc(upToSeq)}`}`;
  const copy = new CopyOutQuery(
    `copy (select seq, hash, body from trail_entries where ${range}${order === 'sequence' ? ' order by seq' : ''}) to stdout (format binary)`,
    (data) => reader.feed(data),
  );
  try {
    client.query(copy as unknown as pg.QueryConfig).catch?.(() => {});
    await copy.finished;
  } finally {
    await client.end().catch(() => {});
  }
}
