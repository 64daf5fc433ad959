import pg from 'pg';
import type { ChainWalker } from './chain-walker.ts';

const SIGNATURE_BYTES = 11;

/**
 * Streams `seq, hash, body` of every entry after `afterSeq` into the walker with PostgreSQL's binary
 * COPY: the server sends one message per row and the client parses three length-prefixed fields, which
 * is several times faster than row objects (the verifier's throughput is bound by this and SHA-256).
 * Its own connection, without the pool's statement timeout (a large trail takes minutes), and
 * constant memory: each row is handed over as it arrives. Rows stop being hashed after the first misfit.
 */
export async function copyEntriesInto(
  connectionString: string,
  afterSeq: number,
  walker: ChainWalker,
  onRow: () => void,
  upToSeq: number | null = null,
): Promise<void> {
  const client = new pg.Client({ connectionString, statement_timeout: 0 });
  await client.connect();
  let rest: Buffer | null = null;
  let headerSeen = false;
  let stopped = false;
  const take = (chunk: Buffer) => {
    if (stopped) return;
    let buf: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
    let at = 0;
    if (!headerSeen) {
      if (buf.length < SIGNATURE_BYTES + 8) {
        rest = buf;
        return;
      }
      at = SIGNATURE_BYTES + 8 + buf.readInt32BE(SIGNATURE_BYTES + 4);
      headerSeen = true;
    }
    for (;;) {
      if (buf.length - at < 2) break;
      const fields = buf.readInt16BE(at);
      if (fields === -1) {
        at = buf.length;
        break;
      }
      // seq (int8), hash (text), body (text); none is null.
      let p = at + 2;
      if (buf.length - p < 12) break;
      const seq = Number(buf.readBigInt64BE(p + 4));
      p += 12;
      if (buf.length - p < 4) break;
      const hashLength = buf.readInt32BE(p);
      if (buf.length - p - 4 < hashLength + 4) break;
      const hash = buf.toString('latin1', p + 4, p + 4 + hashLength);
      p += 4 + hashLength;
      const bodyLength = buf.readInt32BE(p);
      if (buf.length - p - 4 < bodyLength) break;
      const body = buf.subarray(p + 4, p + 4 + bodyLength);
      at = p + 4 + bodyLength;
      if (!walker.push(seq, hash, body)) {
        stopped = true;
        break;
      }
      onRow();
    }
    rest = at < buf.length ? buf.subarray(at) : null;
    buf = Buffer.alloc(0);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      // A "submittable" (pg's interface for custom protocol flows, as pg-cursor and pg-copy-streams use):
      // a simple-query COPY whose CopyData messages come to handleCopyData.
      const submittable = {
        submit(connection: { query(text: string): void }) {
          connection.query(
            `copy (select seq, hash, body from trail_entries where seq > ${Math.trunc(afterSeq)}${
              upToSeq === null ? '' : ` and seq <= ${Math.trunc(upToSeq)}`
            } order by seq) to stdout (format binary)`,
          );
        },
        handleCopyData(message: { chunk: Buffer }) {
          take(message.chunk);
        },
        handleCommandComplete() {},
        handleReadyForQuery() {
          resolve();
        },
        handleError(error: Error) {
          reject(error);
        },
        handleRowDescription() {},
        handleDataRow() {},
        handleEmptyQuery() {},
        handlePortalSuspended() {},
        handleCopyInResponse() {},
      };
      client.query(submittable as unknown as pg.QueryConfig).catch?.(reject);
    });
  } finally {
    await client.end().catch(() => {});
  }
}
