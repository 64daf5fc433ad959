import { sql } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import type { UserId } from '../../platform/ids.ts';
import { networkOf } from '../../platform/network.ts';
import type { Vault } from '../vault/index.ts';
import { describeDevice } from './device.ts';
import type { IdentityDb } from './identity.tables.ts';

export type LoginMethod = 'password' | 'totp' | 'recovery_code' | 'passkey' | 'step_up';
export type LoginOutcome = 'ok' | 'wrong_password' | 'wrong_code' | 'mfa_required' | 'reset_required';

export interface LoginAttempt {
  readonly userId: UserId;
  readonly ip: string;
  readonly userAgent?: string | undefined;
  readonly method: LoginMethod;
  readonly outcome: LoginOutcome;
  readonly country: string | null;
}

/**
 * Every authentication attempt against a known account, success or not. The IP and user agent are
 * sealed by the vault; the network, coarse country and a keyed device digest stay readable for detection.
 */
export function createLoginHistory(deps: { db: AnyDb; vault: Vault; clock: Clock }) {
  const db = deps.db as IdentityDb;
  const deviceIndex = (userId: UserId, userAgent: string | undefined) =>
    deps.vault.blindIndex('device', `${userId}\u0000${describeDevice(userAgent).family}`);

  return {
    deviceIndex,

    /**
     * Records the attempt and answers, from the history before it, whether the account had logged in
     * successfully before at all and from this device (one round trip: it runs on every login).
     */
    async record(
      attempt: LoginAttempt,
    ): Promise<{ anyBefore: boolean; deviceBefore: boolean; networkBefore: boolean }> {
      // The IP's associated data names the user, not the row: rows are written before their ID exists.
      const field = (column: string) => ({
        ownerId: attempt.userId,
        table: 'login_events',
        column,
        rowId: attempt.userId,
      });
      const device = deviceIndex(attempt.userId, attempt.userAgent);
      // Sub-selects in RETURNING see the table as it was before this insert.
      const row = await db
        .insertInto('loginEvents')
        .values({
          userId: attempt.userId,
          success: attempt.outcome === 'ok',
          method: attempt.method,
          outcome: attempt.outcome,
          ipEnc: await deps.vault.seal(deps.db, field('ip'), attempt.ip),
          userAgentEnc: await deps.vault.sealOptional(
            deps.db,
            field('user_agent'),
            attempt.userAgent?.slice(0, 300),
          ),
          network: networkOf(attempt.ip),
          deviceIndex: device,
          country: attempt.country,
        })
        .returning([
          sql<boolean>`exists (select 1 from login_events e where e.user_id = ${attempt.userId} and e.success)`.as(
            'anyBefore',
          ),
          sql<boolean>`exists (select 1 from login_events e where e.user_id = ${attempt.userId} and e.success and e.device_index = ${device})`.as(
            'deviceBefore',
          ),
          sql<boolean>`exists (select 1 from login_events e where e.user_id = ${attempt.userId} and e.success and e.network = ${networkOf(attempt.ip)})`.as(
            'networkBefore',
          ),
        ])
        .executeTakeFirstOrThrow();
      return {
        anyBefore: row.anyBefore === true,
        deviceBefore: row.deviceBefore === true,
        networkBefore: row.networkBefore === true,
      };
    },

    async list(userId: UserId, limit = 50) {
      const rows = await db
        .selectFrom('loginEvents')
        .selectAll()
        .where('userId', '=', userId)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      const field = (column: string) => ({ table: 'login_events', column, rowId: userId });
      return Promise.all(
        rows.map(async (row) => {
          const userAgent = await deps.vault.openOwnOptional(
            deps.db,
            userId,
            field('user_agent'),
            row.userAgentEnc,
          );
          return {
            success: row.success,
            method: row.method,
            outcome: row.outcome,
            at: row.at,
            network: row.network,
            country: row.country,
            device: describeDevice(userAgent ?? undefined).label,
            ip: await deps.vault.openOwn(deps.db, userId, field('ip'), row.ipEnc),
          };
        }),
      );
    },
  };
}

export type LoginHistory = ReturnType<typeof createLoginHistory>;
