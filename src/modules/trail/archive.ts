import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { sql } from 'kysely';
import { type CheckpointPublicKey, type CheckpointSigner, verifyCheckpointJws } from '../vault/index.ts';
import { ChainWalker, type TrailProblem } from './chain-walker.ts';
import { listCheckpoints, readAnchor } from './trail.repository.ts';
import type { TrailDb } from './trail.tables.ts';

export interface ArchiveResult {
  readonly file: string | null;
  readonly fromSeq: number;
  readonly upToSeq: number;
  readonly entries: number;
  readonly pruned: number;
}

interface ArchiveHeader {
  readonly kind: 'bulwark-trail-archive';
  readonly v: 1;
  readonly anchorSeq: number;
  readonly anchorHash: string;
  readonly upToSeq: number;
  readonly keys: readonly CheckpointPublicKey[];
}

const PAGE = 5_000;

/**
 * Retention: exports every entry older than `cutoff` (a closed period) after the current anchor to an
 * NDJSON file in `dir`, with the checkpoints that cover it, one more checkpoint signed for its last entry,
 * and the public keys, so the file verifies on its own (`verifyArchive`). Then records the archive and
 * deletes the exported entries (the database allows only this, and only for entries over a year old that
 * an archive holds). Entries stay in the database until their archive is written and synced.
 */
export async function archiveClosedPeriod(
  db: TrailDb,
  signer: CheckpointSigner,
  dir: string,
  cutoff: Date,
  now: Date,
): Promise<ArchiveResult> {
  const anchor = await readAnchor(db);
  const last = await db
    .selectFrom('trailEntries')
    .select(['seq', 'hash'])
    .where('at', '<', cutoff)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!last || last.seq <= anchor.seq) {
    return { file: null, fromSeq: anchor.seq + 1, upToSeq: anchor.seq, entries: 0, pruned: 0 };
  }
  const end = await signer.sign({
    v: 1,
    seq: last.seq,
    headHash: last.hash,
    count: last.seq,
    at: now.toISOString(),
  });
  const header: ArchiveHeader = {
    kind: 'bulwark-trail-archive',
    v: 1,
    anchorSeq: anchor.seq,
    anchorHash: anchor.hash,
    upToSeq: last.seq,
    keys: await signer.trustedKeys(),
  };
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const name = `trail-${String(anchor.seq + 1).padStart(12, '0')}-${String(last.seq).padStart(12, '0')}.ndjson`;
  const file = path.join(dir, name);
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    fs.writeSync(fd, `${JSON.stringify(header)}\n`);
    for (const checkpoint of await listCheckpoints(db, anchor.seq, last.seq)) {
      fs.writeSync(fd, `${JSON.stringify({ checkpoint: checkpoint.jws })}\n`);
    }
    fs.writeSync(fd, `${JSON.stringify({ checkpoint: end.jws })}\n`);
    let after = anchor.seq;
    while (after < last.seq) {
      const rows = await db
        .selectFrom('trailEntries')
        .select(['seq', 'hash', 'body'])
        .where('seq', '>', after)
        .where('seq', '<=', last.seq)
        .orderBy('seq')
        .limit(PAGE)
        .execute();
      if (rows.length === 0) break;
      fs.writeSync(fd, `${rows.map((row) => JSON.stringify([row.seq, row.hash, row.body])).join('\n')}\n`);
      after = (rows[rows.length - 1] as { seq: number }).seq;
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  const pruned = await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('trailArchives')
      .values({
        upToSeq: last.seq,
        headHash: last.hash,
        entries: last.seq - anchor.seq,
        archivedAt: now,
        fileName: name,
      })
      .execute();
    await sql`select set_config('bulwark.trail_prune', 'on', true)`.execute(trx);
    const result = await trx.deleteFrom('trailEntries').where('seq', '<=', last.seq).executeTakeFirst();
    return Number(result.numDeletedRows);
  });
  return { file, fromSeq: anchor.seq + 1, upToSeq: last.seq, entries: last.seq - anchor.seq, pruned };
}

/**
 * Verifies an archive file on its own: the chain from its anchor, every checkpoint's signature by one of
 * `trustedKids` (the operator's pinned key IDs; every key in the file when not given), and a checkpoint
 * signed for its very last entry, so a shortened archive fails too.
 */
export async function verifyArchive(
  file: string,
  trustedKids?: readonly string[],
): Promise<{ ok: boolean; entries: number; upToSeq: number; problem: TrailProblem | null }> {
  const lines = readline.createInterface({
    input: fs.createReadStream(file, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let header: ArchiveHeader | null = null;
  const claims = new Map<number, string>();
  let walker: ChainWalker | null = null;
  let problem: TrailProblem | null = null;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const value = JSON.parse(line) as unknown;
    if (!header) {
      header = value as ArchiveHeader;
      if (header.kind !== 'bulwark-trail-archive') throw new Error('not a trail archive');
      continue;
    }
    if (!Array.isArray(value)) {
      const keys = header.keys.filter((key) => !trustedKids || trustedKids.includes(key.kid));
      const claim = await verifyCheckpointJws(String((value as { checkpoint?: unknown }).checkpoint), keys);
      if (!claim || typeof claim.seq !== 'number' || typeof claim.headHash !== 'string') {
        problem ??= {
          kind: 'checkpoint_forged',
          seq: 0,
          detail: 'a checkpoint in the archive is not signed by a trusted key',
        };
        continue;
      }
      claims.set(claim.seq, claim.headHash);
      continue;
    }
    walker ??= new ChainWalker({ seq: header.anchorSeq, hash: header.anchorHash }, claims);
    const [seq, hash, body] = value as [number, string, string];
    walker.push(seq, hash, body);
  }
  if (!header) throw new Error('empty archive');
  walker ??= new ChainWalker({ seq: header.anchorSeq, hash: header.anchorHash }, claims);
  problem ??= walker.finish();
  if (!problem && walker.misfit) {
    problem = {
      kind: 'modified',
      seq: walker.misfit.expectedSeq,
      detail: `the archive breaks at entry ${walker.misfit.expectedSeq}: it was modified, deleted, inserted or moved`,
    };
  }
  if (!problem && (claims.get(header.upToSeq) === undefined || walker.lastSeq !== header.upToSeq)) {
    problem = {
      kind: 'missing_tail',
      seq: walker.lastSeq + 1,
      detail: `the archive should end at entry ${header.upToSeq} with a signed checkpoint; it ends at ${walker.lastSeq}`,
    };
  }
  return { ok: problem === null, entries: walker.count, upToSeq: walker.lastSeq, problem };
}
