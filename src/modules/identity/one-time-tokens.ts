import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import type { UserId } from '../../platform/ids.ts';
import { digestToken, randomToken } from '../vault/index.ts';
import type { IdentityDb, OneTimePurpose } from './identity.tables.ts';

const PREFIX: Record<OneTimePurpose, string> = {
  password_reset: 'bw_pr',
  mfa_login: 'bw_mt',
  not_me: 'bw_nm',
  email_change_new: 'bw_ec',
  email_change_old: 'bw_ec',
};

/** Wrong answers a login ticket survives before it is burned. */
export const TICKET_ATTEMPTS = 5;

export interface IssuedToken {
  readonly token: string;
  readonly expiresAt: Date;
}

/**
 * Single-use secrets for links in messages and for the second step of a login. Only SHA-256 digests are
 * stored; each is bound to one purpose and one user, expires, and is consumed atomically.
 */
export function createOneTimeTokens(deps: { clock: Clock }) {
  return {
    async issue(
      db: AnyDb,
      userId: UserId,
      purpose: OneTimePurpose,
      ttlSeconds: number,
      extra: { subjectId?: string; detail?: string } = {},
    ): Promise<IssuedToken> {
      const token = randomToken(PREFIX[purpose]);
      const expiresAt = new Date(deps.clock.now().getTime() + ttlSeconds * 1000);
      await (db as IdentityDb)
        .insertInto('oneTimeTokens')
        .values({
          tokenHash: digestToken(token),
          userId,
          purpose,
          expiresAt,
          subjectId: extra.subjectId ?? null,
          detail: extra.detail ?? null,
        })
        .execute();
      return { token, expiresAt };
    },

    /** The live token's record without using it up (a login ticket answered wrongly stays usable). */
    peek(db: AnyDb, token: string, purpose: OneTimePurpose) {
      return (db as IdentityDb)
        .selectFrom('oneTimeTokens')
        .selectAll()
        .where('tokenHash', '=', digestToken(token))
        .where('purpose', '=', purpose)
        .where('usedAt', 'is', null)
        .where('expiresAt', '>', deps.clock.now())
        .where('attempts', '<', TICKET_ATTEMPTS)
        .executeTakeFirst();
    },

    /** Uses the token up; the first of two concurrent consumers wins, the other gets undefined. */
    consume(db: AnyDb, token: string, purpose: OneTimePurpose) {
      return (db as IdentityDb)
        .updateTable('oneTimeTokens')
        .set({ usedAt: deps.clock.now() })
        .where('tokenHash', '=', digestToken(token))
        .where('purpose', '=', purpose)
        .where('usedAt', 'is', null)
        .where('expiresAt', '>', deps.clock.now())
        .where('attempts', '<', TICKET_ATTEMPTS)
        .returningAll()
        .executeTakeFirst();
    },

    async countAttempt(db: AnyDb, token: string): Promise<void> {
      await (db as IdentityDb)
        .updateTable('oneTimeTokens')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('tokenHash', '=', digestToken(token))
        .execute();
    },

    /** Withdraws every unused token of a purpose, e.g. older reset links once the password changed. */
    async withdraw(db: AnyDb, userId: UserId, purposes: readonly OneTimePurpose[]): Promise<void> {
      await (db as IdentityDb)
        .updateTable('oneTimeTokens')
        .set({ usedAt: deps.clock.now() })
        .where('userId', '=', userId)
        .where('purpose', 'in', purposes)
        .where('usedAt', 'is', null)
        .execute();
    },
  };
}

export type OneTimeTokens = ReturnType<typeof createOneTimeTokens>;
