import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import { withTransaction } from '../../platform/db/index.ts';
import { AppError } from '../../platform/errors.ts';
import type { UserId } from '../../platform/ids.ts';
import { networkOf } from '../../platform/network.ts';
import type { Accounts } from './accounts.service.ts';
import { IdentityErrors } from './identity.errors.ts';
import type { Messenger } from './messenger.ts';
import type { OneTimeTokens } from './one-time-tokens.ts';
import type { PersonPrincipal } from './principal.ts';
import type { ClientInfo, Sessions } from './sessions.service.ts';
import { THROTTLE_POLICIES, type Throttle, type ThrottleKey } from './throttle.ts';

const RESET_SECONDS = 15 * 60;

export interface RecoveryDeps {
  readonly db: AnyDb;
  readonly clock: Clock;
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  readonly throttle: Throttle;
  readonly tokens: OneTimeTokens;
  readonly messenger: Messenger;
}

/**
 * Password reset, "this wasn't me" and password changes. Reset requests answer the same for every
 * address and send a message either way; links are single-use, hashed, and live 15 minutes.
 */
export function createRecovery(deps: RecoveryDeps) {
  const requestKey = (email: string): ThrottleKey => ({
    key: `reset:account:${deps.accounts.emailIndex(email)}`,
    policy: THROTTLE_POLICIES.resetRequests,
  });
  const guessKey = (client: ClientInfo): ThrottleKey => ({
    key: `link:network:${networkOf(client.ip)}`,
    policy: THROTTLE_POLICIES.linkGuesses,
  });

  async function sendResetLink(trx: AnyDb, userId: UserId): Promise<void> {
    const issued = await deps.tokens.issue(trx, userId, 'password_reset', RESET_SECONDS);
    await deps.messenger.send(
      trx,
      { userId },
      { template: 'password_reset', token: issued.token, expiresAt: issued.expiresAt },
    );
  }

  const invalidLink = () =>
    IdentityErrors.IDENTITY_INVALID_TOKEN('This link is wrong, expired or already used. Ask for a new one.');

  /**
   * A link token that is wrong counts against the caller's network, so links cannot be guessed at scale.
   * Checked before the transaction: the throttle writes through the root handle, which an open embedded
   * (PGlite) transaction would block for good.
   */
  async function checkLink(client: ClientInfo, token: string, purpose: 'password_reset' | 'not_me') {
    await deps.throttle.check([guessKey(client)]);
    const pending = await deps.tokens.peek(deps.db, token, purpose);
    if (!pending) {
      await deps.throttle.fail([guessKey(client)]);
      throw invalidLink();
    }
    return pending;
  }

  /** Uses the link up inside the transaction; losing a race for it is not a guess, so it is not counted. */
  async function useLink(token: string, purpose: 'password_reset' | 'not_me', trx: AnyDb) {
    const row = await deps.tokens.consume(trx, token, purpose);
    if (!row) throw invalidLink();
    return row.userId as UserId;
  }

  return {
    async requestReset(email: string): Promise<void> {
      await deps.throttle.check([requestKey(email)]);
      await deps.throttle.fail([requestKey(email)]);
      const user = await deps.accounts.activeUserByEmail(email);
      await withTransaction(deps.db, async (trx) => {
        if (user) await sendResetLink(trx, user.id as UserId);
        else await deps.messenger.send(trx, { address: email }, { template: 'password_reset_unknown' });
      });
    },

    /** Sets the new password, ends every session and every other reset link, and tells the owner. */
    async confirmReset(client: ClientInfo, token: string, password: string): Promise<void> {
      const pending = await checkLink(client, token, 'password_reset');
      const hash = await deps.accounts.acceptablePasswordHash(pending.userId as UserId, password);
      await withTransaction(deps.db, async (trx) => {
        const userId = await useLink(token, 'password_reset', trx);
        await deps.accounts.setPasswordHash(trx, userId, hash);
        await deps.tokens.withdraw(trx, userId, ['password_reset', 'mfa_login']);
        await deps.sessions.revokeAll(userId, trx);
        await deps.messenger.send(
          trx,
          { userId },
          { template: 'security_change', change: 'password_reset', at: deps.clock.now() },
        );
      });
    },

    /** From a new-device alert: end every session, demand a new password, and send the reset link. */
    async notMe(client: ClientInfo, token: string): Promise<void> {
      await checkLink(client, token, 'not_me');
      await withTransaction(deps.db, async (trx) => {
        const userId = await useLink(token, 'not_me', trx);
        await deps.sessions.revokeAll(userId, trx);
        await deps.accounts.requirePasswordReset(trx, userId);
        await deps.messenger.send(
          trx,
          { userId },
          { template: 'security_change', change: 'sessions_revoked', at: deps.clock.now() },
        );
        await sendResetLink(trx, userId);
      });
    },

    /** A signed-in change: the current password again, then every other session ends. */
    async changePassword(principal: PersonPrincipal, current: string, next: string): Promise<void> {
      if (!(await deps.accounts.passwordMatches(principal.userId, current))) {
        throw IdentityErrors.IDENTITY_INVALID_CREDENTIALS('The current password is wrong.', {
          errors: [{ field: 'body.currentPassword', message: 'is not your current password' }],
        });
      }
      // The policy's refusal names `body.password`; in this body the new password is `newPassword`.
      const hash = await deps.accounts
        .acceptablePasswordHash(principal.userId, next)
        .catch((error: unknown) => {
          if (!(error instanceof AppError) || error.code !== 'IDENTITY_WEAK_PASSWORD') throw error;
          throw IdentityErrors.IDENTITY_WEAK_PASSWORD(error.detail, {
            errors: error.errors.map((problem) => ({ ...problem, field: 'body.newPassword' })),
            extensions: { ...error.extensions },
          });
        });
      await withTransaction(deps.db, async (trx) => {
        await deps.accounts.setPasswordHash(trx, principal.userId, hash);
        await deps.tokens.withdraw(trx, principal.userId, ['password_reset']);
        await deps.messenger.send(
          trx,
          { userId: principal.userId },
          { template: 'security_change', change: 'password_changed', at: deps.clock.now() },
        );
      });
      await deps.sessions.revokeOthers(principal);
    },
  };
}

export type Recovery = ReturnType<typeof createRecovery>;
