import fs from 'node:fs';
import path from 'node:path';
import type { FetcherFactory } from '../../platform/outbound/index.ts';
import type { CheckpointPublicKey, CheckpointSigner } from '../vault/index.ts';
import { insertCheckpoint, latestCheckpoint, listCheckpoints, readHead } from './trail.repository.ts';
import type { TrailDb } from './trail.tables.ts';

/** What a checkpoint signs: the chain's head at a moment. `count` is the entries since genesis. */
export interface CheckpointClaim {
  readonly v: 1;
  readonly seq: number;
  readonly headHash: string;
  readonly count: number;
  readonly at: string;
}

/** One line of the checkpoint file (and the webhook's body): the JWS and the key that signed it. */
export interface CheckpointLine {
  readonly seq: number;
  readonly headHash: string;
  readonly at: string;
  readonly kid: string;
  readonly jws: string;
  readonly publicKey?: CheckpointPublicKey;
}

export const CHECKPOINT_FILE = 'trail-checkpoints.ndjson';

export function checkpointFile(dataDir: string): string {
  return path.join(dataDir, CHECKPOINT_FILE);
}

/** Signs the current head unless a checkpoint already covers it; returns the new checkpoint's line. */
export async function makeCheckpoint(
  db: TrailDb,
  signer: CheckpointSigner,
  now: Date,
): Promise<CheckpointLine | null> {
  const head = await readHead(db);
  if (head.seq === 0) return null;
  const last = await latestCheckpoint(db);
  if (last && last.seq >= head.seq) return null;
  const claim: CheckpointClaim = {
    v: 1,
    seq: head.seq,
    headHash: head.hash,
    count: head.seq,
    at: now.toISOString(),
  };
  const { kid, jws } = await signer.sign({ ...claim });
  await insertCheckpoint(db, { seq: head.seq, headHash: head.hash, at: now, kid, jws });
  const publicKey = (await signer.trustedKeys()).find((key) => key.kid === kid);
  return { seq: head.seq, headHash: head.hash, at: claim.at, kid, jws, ...(publicKey ? { publicKey } : {}) };
}

/** Appends a line to the checkpoint file outside the database (0600, created when missing). */
export function writeCheckpointLine(file: string, line: CheckpointLine): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.appendFileSync(file, `${JSON.stringify(line)}\n`, { mode: 0o600 });
}

/** Lines of a checkpoint file; unreadable lines are returned as null so the verifier can report them. */
export function readCheckpointLines(file: string): (CheckpointLine | null)[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        const parsed = JSON.parse(line) as CheckpointLine;
        return typeof parsed.jws === 'string' ? parsed : null;
      } catch {
        return null;
      }
    });
}

/**
 * Every checkpoint the verifier can find, from the database and from the file, each accepted only when
 * its signature checks with a trusted key; the claim is read from the signed payload, never from the
 * columns or the line around it. A forged or altered one is reported.
 */
export async function trustedCheckpoints(
  db: TrailDb,
  signer: CheckpointSigner,
  file: string,
  extraKeys: readonly CheckpointPublicKey[] = [],
): Promise<{ claims: Map<number, string>; forged: number | null; fromDatabase: number; fromFile: number }> {
  const claims = new Map<number, string>();
  let forged: number | null = null;
  const jwsList: { jws: string; seq: number }[] = [];
  const rows = await listCheckpoints(db);
  for (const row of rows) jwsList.push({ jws: row.jws, seq: row.seq });
  const lines = readCheckpointLines(file);
  for (const line of lines) jwsList.push({ jws: line?.jws ?? '', seq: line?.seq ?? 0 });
  for (const { jws, seq } of jwsList) {
    const payload = await signer.verify(jws, extraKeys);
    const claim = payload as Partial<CheckpointClaim> | null;
    if (!claim || typeof claim.seq !== 'number' || typeof claim.headHash !== 'string' || claim.seq !== seq) {
      forged = forged === null ? seq : Math.min(forged, seq);
      continue;
    }
    const known = claims.get(claim.seq);
    // Two genuine checkpoints of one position can only disagree if the chain forked: the walk reports it.
    if (known === undefined || known === claim.headHash) claims.set(claim.seq, claim.headHash);
    else forged = forged === null ? claim.seq : Math.min(forged, claim.seq);
  }
  return { claims, forged, fromDatabase: rows.length, fromFile: lines.length };
}

/**
 * POSTs each checkpoint line to BULWARK_TRAIL_WEBHOOK_URL through the SSRF-safe fetcher (that host only,
 * 5 s, no redirects). A copy in another system's hands catches a rewrite of the database and the data
 * directory together. Anything but a 2xx answer is a failure (the caller raises an event).
 */
export function checkpointWebhook(
  url: string,
  outbound: FetcherFactory,
): (line: CheckpointLine) => Promise<void> {
  const fetcher = outbound({
    allowHosts: [new URL(url).hostname],
    timeoutMs: 5_000,
    maxBytes: 64 * 1024,
    maxRedirects: 0,
    userAgent: 'Bulwark trail checkpoints',
  });
  return async (line) => {
    const answer = await fetcher.postJson(url, { kind: 'bulwark-trail-checkpoint', ...line });
    if (answer.status < 200 || answer.status >= 300) {
      throw Object.assign(new Error('webhook refused the checkpoint'), { code: `HTTP_${answer.status}` });
    }
  };
}
