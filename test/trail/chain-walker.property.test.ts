import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChainWalker } from '../../src/modules/trail/chain-walker.ts';
import { encodeEntry, GENESIS_HASH, hashBody } from '../../src/modules/trail/entry-codec.ts';
import { EntryCopyReader } from '../../src/modules/trail/pg-copy.ts';

// The verifier's hot path (binary COPY, checked byte by byte where the rows lie) must judge every row
// exactly as the plain path does (text, prefix and hash compared as strings), whatever an attacker wrote.

interface Row {
  seq: number;
  hash: string;
  body: string;
}

function chain(length: number): Row[] {
  const rows: Row[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= length; seq += 1) {
    const body = encodeEntry(prev, seq, new Date(1_800_000_000_000 + seq), {
      actor: { kind: 'staff', id: `usr_${seq}`, role: 'support', session: null, network: '10.0.0.0/24' },
      action: 'pii.revealed',
      subjects: [`usr_${seq * 7}`],
      fields: ['email'],
      purpose: `ticket ${seq} — 客服`,
      result: 'success',
    });
    prev = hashBody(body);
    rows.push({ seq, hash: prev, body });
  }
  return rows;
}

/** PostgreSQL's binary COPY of (seq bigint, hash text, body text) rows, header and trailer included. */
function copyBytes(rows: readonly Row[]): Buffer {
  const header = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
  const parts = [header];
  for (const row of rows) {
    const hash = Buffer.from(row.hash, 'utf8');
    const body = Buffer.from(row.body, 'utf8');
    const fixed = Buffer.alloc(2 + 4 + 8 + 4);
    fixed.writeInt16BE(3, 0);
    fixed.writeInt32BE(8, 2);
    fixed.writeBigInt64BE(BigInt(row.seq), 6);
    fixed.writeInt32BE(hash.length, 14);
    const bodyLength = Buffer.alloc(4);
    bodyLength.writeInt32BE(body.length, 0);
    parts.push(fixed, hash, bodyLength, body);
  }
  parts.push(Buffer.from([0xff, 0xff]));
  return Buffer.concat(parts);
}

/** Feeds the bytes cut at the given points; returns how many rows the walker accepted and its misfit. */
function walkCopied(rows: readonly Row[], cuts: readonly number[]) {
  const walker = new ChainWalker({ seq: 0, hash: GENESIS_HASH }, new Map());
  const reader = new EntryCopyReader((seq, data, hashAt, bodyAt, bodyEnd) =>
    walker.pushCopied(seq, data, hashAt, bodyAt, bodyEnd),
  );
  const bytes = copyBytes(rows);
  let from = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    if (!reader.feed(bytes.subarray(from, cut))) return walker;
    from = cut;
  }
  reader.feed(bytes.subarray(from));
  return walker;
}

function walkText(rows: readonly Row[]) {
  const walker = new ChainWalker({ seq: 0, hash: GENESIS_HASH }, new Map());
  for (const row of rows) if (!walker.push(row.seq, row.hash, row.body)) break;
  return walker;
}

// What an attacker with write access might do to one row.
const tamper = fc.oneof(
  fc.record({ kind: fc.constant('body-byte' as const), at: fc.nat(), to: fc.integer({ min: 32, max: 126 }) }),
  fc.record({ kind: fc.constant('hash-byte' as const), at: fc.nat(), to: fc.integer({ min: 32, max: 126 }) }),
  fc.record({ kind: fc.constant('seq' as const), delta: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ kind: fc.constant('leading-zero' as const) }),
  fc.record({ kind: fc.constant('rehash' as const), at: fc.nat(), to: fc.integer({ min: 32, max: 126 }) }),
  fc.record({ kind: fc.constant('short-hash' as const) }),
);

type Tamper = typeof tamper extends fc.Arbitrary<infer T> ? T : never;

function apply(row: Row, change: Tamper): Row {
  const replaceAt = (text: string, at: number, code: number) => {
    const i = at % text.length;
    return text.slice(0, i) + String.fromCharCode(code) + text.slice(i + 1);
  };
  switch (change.kind) {
    case 'body-byte':
      return { ...row, body: replaceAt(row.body, change.at, change.to) };
    case 'hash-byte':
      return { ...row, hash: replaceAt(row.hash, change.at, change.to) };
    case 'seq':
      return { ...row, seq: row.seq + change.delta };
    case 'leading-zero': {
      // The same place written `007` instead of `7`, and hashed correctly.
      const body = row.body.replace(`",${row.seq},`, `",0${row.seq},`);
      return { ...row, body, hash: hashBody(body) };
    }
    case 'rehash': {
      const body = replaceAt(row.body, change.at, change.to);
      return { ...row, body, hash: hashBody(body) };
    }
    case 'short-hash':
      return { ...row, hash: row.hash.slice(0, 42) };
  }
}

describe('the binary COPY walk judges rows exactly as the text walk', () => {
  it('an untouched chain, cut anywhere, is accepted in full', () => {
    const rows = chain(40);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 30 }), (cuts) => {
        const walker = walkCopied(rows, cuts);
        expect(walker.misfit).toBeNull();
        expect(walker.count).toBe(40);
        expect(walker.lastHash).toBe(rows[39]?.hash);
      }),
    );
  });

  it('a tampered row stops both walks at the same row with the same misfit', () => {
    const rows = chain(25);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 24 }),
        tamper,
        fc.array(fc.nat(), { maxLength: 20 }),
        (index, change, cuts) => {
          const changed = rows.map((row, i) => (i === index ? apply(row, change) : row));
          const copied = walkCopied(changed, cuts);
          const text = walkText(changed);
          expect(copied.count).toBe(text.count);
          expect(copied.misfit).toEqual(text.misfit);
          // A real change breaks the chain at the changed row or the next one (a re-hashed last entry is
          // caught by the signed checkpoints, not by the walk: see the tamper tests).
          const changedRow = changed[index] as Row;
          const unchanged = JSON.stringify(changedRow) === JSON.stringify(rows[index]);
          if (unchanged || (change.kind === 'rehash' && index === rows.length - 1)) return;
          expect(text.misfit?.expectedSeq).toBeGreaterThanOrEqual(index + 1);
          expect(text.misfit?.expectedSeq).toBeLessThanOrEqual(index + 2);
        },
      ),
    );
  });
});
