import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import { IdentityErrors } from './identity.errors.ts';
import type { IdentityDb } from './identity.tables.ts';

/**
 * How a counter slows its key down: `free` attempts may fail without a wait; the failure that spends
 * the last of them starts a wait (1 s), and each further one doubles it, never beyond `maxDelaySeconds`.
 * A quiet `forgetAfterSeconds` starts the count again. The cap is what keeps an attacker from locking a
 * victim out for good: at worst the owner waits a few minutes.
 */
export interface ThrottlePolicy {
  readonly free: number;
  readonly maxDelaySeconds: number;
  readonly forgetAfterSeconds: number;
}

export const THROTTLE_POLICIES = {
  /** Per account (keyed by the e-mail's blind index, so unknown addresses behave the same). */
  loginAccount: { free: 5, maxDelaySeconds: 15 * 60, forgetAfterSeconds: 24 * 3600 },
  /** Per source network (/24 or /48): many accounts from one place. */
  loginNetwork: { free: 30, maxDelaySeconds: 60 * 60, forgetAfterSeconds: 3600 },
  /** Wrong second-factor codes per account: six digits must not be guessable. */
  secondFactor: { free: 5, maxDelaySeconds: 30 * 60, forgetAfterSeconds: 24 * 3600 },
  /** Reset and e-mail requests per address: counts every request, not only failures. */
  resetRequests: { free: 3, maxDelaySeconds: 60 * 60, forgetAfterSeconds: 3600 },
  /** Wrong reset or confirmation links per network. */
  linkGuesses: { free: 10, maxDelaySeconds: 60 * 60, forgetAfterSeconds: 3600 },
} as const satisfies Record<string, ThrottlePolicy>;

export type ThrottleKey = { readonly key: string; readonly policy: ThrottlePolicy };

export function createThrottle(deps: { db: AnyDb; clock: Clock }) {
  const db = deps.db as IdentityDb;

  return {
    /**
     * Refuses with 429 and Retry-After while any of the keys is in its wait. Returns the keys that have a
     * count at all, so a success needs to clear only those.
     */
    async check(keys: readonly ThrottleKey[]): Promise<ReadonlySet<string>> {
      if (keys.length === 0) return new Set();
      const rows = await db
        .selectFrom('authThrottle')
        .select(['key', 'blockedUntil'])
        .where(
          'key',
          'in',
          keys.map((k) => k.key),
        )
        .execute();
      const now = deps.clock.now().getTime();
      const wait = Math.max(0, ...rows.map((row) => row.blockedUntil.getTime() - now));
      if (wait > 0) {
        const seconds = Math.ceil(wait / 1000);
        throw IdentityErrors.IDENTITY_THROTTLED(`Too many attempts. Try again in ${seconds} seconds.`, {
          headers: { 'retry-after': String(seconds) },
          extensions: { retryAfterSeconds: seconds },
        });
      }
      return new Set(rows.map((row) => row.key));
    },

    /** Counts a failure (or a request, for counted actions) against each key. */
    async fail(keys: readonly ThrottleKey[]): Promise<void> {
      const now = deps.clock.now();
      for (const { key, policy } of keys) {
        const forgetBefore = new Date(now.getTime() - policy.forgetAfterSeconds * 1000);
        // One atomic upsert counts the failure, so concurrent guesses cannot slip under the count.
        const { failures } = await db
          .insertInto('authThrottle')
          .values({ key, failures: 1, lastFailureAt: now, blockedUntil: now })
          .onConflict((oc) =>
            oc.column('key').doUpdateSet((eb) => ({
              failures: eb
                .case()
                .when('authThrottle.lastFailureAt', '<', forgetBefore)
                .then(1)
                .else(eb('authThrottle.failures', '+', 1))
                .end(),
              lastFailureAt: now,
            })),
          )
          .returning('failures')
          .executeTakeFirstOrThrow();
        // The failure that spends the last free attempt starts the wait, so attempt `free + 1` is refused.
        const over = failures - policy.free + 1;
        if (over <= 0) continue;
        const delay = Math.min(policy.maxDelaySeconds, 2 ** (over - 1));
        await db
          .updateTable('authThrottle')
          .set({ blockedUntil: new Date(now.getTime() + delay * 1000) })
          .where('key', '=', key)
          .execute();
      }
    },

    async clear(keys: readonly ThrottleKey[]): Promise<void> {
      if (keys.length === 0) return;
      await db
        .deleteFrom('authThrottle')
        .where(
          'key',
          'in',
          keys.map((k) => k.key),
        )
        .execute();
    },
  };
}

export type Throttle = ReturnType<typeof createThrottle>;
