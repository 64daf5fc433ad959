import type { Clock } from '../../../platform/clock.ts';
import type { AnyDb } from '../../../platform/db/index.ts';
import { digestToken, leadingZeroBits, randomToken, type Vault } from '../../vault/index.ts';
import type { ChallengeDb } from './challenges.tables.ts';

/**
 * The challenge hook: how a suspect source shows it is a person, or at least pays like one. Built in:
 * proof of work. An operator can plug in a CAPTCHA verifier with the same two calls.
 */
export interface ChallengeVerifier {
  /** What the client must solve: sent as the `challenge` member of the 403 problem. */
  offer(source: string): Record<string, unknown>;
  /** Whether the `Bulwark-Challenge` header answers an offer made to this source. An answer counts once. */
  verify(source: string, answer: string): Promise<boolean>;
}

export const CHALLENGE_HEADER = 'bulwark-challenge';
const TTL_MS = 120_000;
const ANSWER = /^(pow1\.\d{1,15}\.\d{1,2}\.[A-Za-z0-9_-]{20,64})\.([A-Za-z0-9_-]{43}):([A-Za-z0-9_-]{1,64})$/;

/**
 * Hashcash over SHA-256: the token carries its expiry, difficulty and a random part, tagged by the vault
 * together with the client's address, so it cannot be forged, stretched, made easier or solved once and
 * used from elsewhere. A solution is a nonce such that SHA-256(`<token>:<nonce>`) starts with
 * `difficulty` zero bits; checking it costs one hash, finding it about 2^difficulty.
 */
export function proofOfWork(deps: {
  vault: Vault;
  clock: Clock;
  db: AnyDb;
  difficulty: number;
}): ChallengeVerifier {
  const { vault, clock } = deps;
  const db = deps.db as unknown as ChallengeDb;
  return {
    offer(source) {
      const expiresAt = clock.now().getTime() + TTL_MS;
      const body = `pow1.${expiresAt}.${deps.difficulty}.${randomToken('c').slice(2)}`;
      return {
        kind: 'proof-of-work',
        algorithm: 'sha256-leading-zero-bits',
        token: `${body}.${vault.tag('challenge', `${body}|${source}`)}`,
        difficulty: deps.difficulty,
        expiresAt: new Date(expiresAt).toISOString(),
        howTo: `Find a nonce (1-64 characters of A-Z a-z 0-9 _ -) such that SHA-256 of "<token>:<nonce>" starts with ${deps.difficulty} zero bits; send "<token>:<nonce>" as the Bulwark-Challenge header.`,
      };
    },
    async verify(source, answer) {
      const match = ANSWER.exec(answer);
      if (!match) return false;
      const [, body = '', tag = '', nonce = ''] = match;
      const [, expires, difficulty] = body.split('.');
      const expiresAt = Number(expires);
      if (!vault.tagMatches('challenge', `${body}|${source}`, tag)) return false;
      if (expiresAt <= clock.now().getTime()) return false;
      if (Number(difficulty) < deps.difficulty) return false;
      if (leadingZeroBits(`${body}.${tag}:${nonce}`) < Number(difficulty)) return false;
      return spend(db, digestToken(`${body}.${tag}`), new Date(expiresAt), clock.now());
    },
  };
}

/** Records the token as answered; false when it already was (a replay). Old rows go on the way. */
async function spend(db: ChallengeDb, tokenDigest: string, expiresAt: Date, now: Date): Promise<boolean> {
  await db.deleteFrom('shieldSpentChallenges').where('expiresAt', '<', now).execute();
  const inserted = await db
    .insertInto('shieldSpentChallenges')
    .values({ tokenDigest, expiresAt })
    .onConflict((c) => c.column('tokenDigest').doNothing())
    .returning('tokenDigest')
    .executeTakeFirst();
  return inserted !== undefined;
}
