import { sql } from 'kysely';
import { Secret, TOTP } from 'otpauth';
import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import { withTransaction } from '../../platform/db/index.ts';
import type { UserId } from '../../platform/ids.ts';
import { randomString, type Vault } from '../vault/index.ts';
import { IdentityErrors } from './identity.errors.ts';
import type { IdentityDb } from './identity.tables.ts';

const PERIOD_SECONDS = 30;
export const RECOVERY_CODE_COUNT = 10;
// Crockford's alphabet: no I, L, O or U to misread when typing a code from paper.
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export type SecondFactorUsed = 'totp' | 'recovery_code';

export interface FactorStatus {
  readonly totp: boolean;
  readonly passkeys: number;
  readonly recoveryCodesLeft: number;
}

/**
 * TOTP (RFC 6238, via otpauth) with ten single-use recovery codes. The TOTP secret is sealed by the vault;
 * recovery codes are kept only as keyed digests (the key lives outside the database), so a dump reveals
 * neither. A TOTP code is accepted once: the step it belongs to is remembered.
 */
export function createSecondFactors(deps: { db: AnyDb; vault: Vault; clock: Clock }) {
  const db = deps.db as IdentityDb;
  const secretField = (userId: UserId) => ({
    ownerId: userId,
    table: 'totp_factors',
    column: 'secret',
    rowId: userId,
  });
  const totpFor = (secret: string, label: string) =>
    new TOTP({
      issuer: 'Bulwark',
      label,
      period: PERIOD_SECONDS,
      digits: 6,
      secret: Secret.fromBase32(secret),
    });
  const codeIndex = (userId: UserId, code: string) =>
    deps.vault.blindIndex('recovery-code', `${userId}\u0000${normalizeRecoveryCode(code)}`);

  async function readTotp(trx: IdentityDb, userId: UserId) {
    const row = await trx
      .selectFrom('totpFactors')
      .selectAll()
      .where('userId', '=', userId)
      .executeTakeFirst();
    if (!row) return null;
    const secret = await deps.vault.openOwn(trx, userId, secretField(userId), row.secretEnc);
    return { ...row, secret };
  }

  async function newRecoveryCodes(trx: IdentityDb, userId: UserId): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, randomRecoveryCode);
    await trx.deleteFrom('recoveryCodes').where('userId', '=', userId).execute();
    await trx
      .insertInto('recoveryCodes')
      .values(codes.map((code) => ({ userId, codeIndex: codeIndex(userId, code) })))
      .execute();
    return codes;
  }

  /** Accepts a TOTP code once: returns false for a wrong code or one whose step was already used. */
  async function acceptTotp(trx: IdentityDb, userId: UserId, code: string): Promise<boolean> {
    const factor = await readTotp(trx, userId);
    if (!factor?.confirmedAt) return false;
    const now = deps.clock.now().getTime();
    const delta = totpFor(factor.secret, 'x').validate({ token: code, timestamp: now, window: 1 });
    if (delta === null) return false;
    const step = Math.floor(now / 1000 / PERIOD_SECONDS) + delta;
    const claimed = await trx
      .updateTable('totpFactors')
      .set({ lastStep: String(step) })
      .where('userId', '=', userId)
      .where('lastStep', '<', String(step))
      .executeTakeFirst();
    return claimed.numUpdatedRows > 0n;
  }

  async function acceptRecoveryCode(trx: IdentityDb, userId: UserId, code: string): Promise<boolean> {
    const used = await trx
      .updateTable('recoveryCodes')
      .set({ usedAt: deps.clock.now() })
      .where('codeIndex', '=', codeIndex(userId, code))
      .where('userId', '=', userId)
      .where('usedAt', 'is', null)
      .executeTakeFirst();
    return used.numUpdatedRows > 0n;
  }

  return {
    /** One round trip: it runs on every login. */
    async status(userId: UserId, within: AnyDb = deps.db): Promise<FactorStatus> {
      const { rows } = await sql<{ totp: boolean; passkeys: string | number; codes: string | number }>`
        select
          exists (select 1 from totp_factors where user_id = ${userId} and confirmed_at is not null) as totp,
          (select count(*) from passkeys where user_id = ${userId}) as passkeys,
          (select count(*) from recovery_codes where user_id = ${userId} and used_at is null) as codes
      `.execute(within);
      const row = rows[0];
      return {
        totp: row?.totp === true,
        passkeys: Number(row?.passkeys ?? 0),
        recoveryCodesLeft: Number(row?.codes ?? 0),
      };
    },

    async hasAny(userId: UserId): Promise<boolean> {
      const status = await this.status(userId);
      return status.totp || status.passkeys > 0;
    },

    /** Starts TOTP enrolment: a fresh secret, shown once, that counts only after a code confirms it. */
    async beginTotp(userId: UserId, label: string): Promise<{ secret: string; otpauthUri: string }> {
      return withTransaction(deps.db, async (trx) => {
        const existing = await readTotp(trx as IdentityDb, userId);
        if (existing?.confirmedAt) {
          throw IdentityErrors.IDENTITY_MFA_ALREADY_ENROLLED(
            'An authenticator app is already set up. Remove it first to set up another.',
          );
        }
        const secret = new Secret({ size: 20 }).base32;
        const secretEnc = await deps.vault.seal(trx, secretField(userId), secret);
        await (trx as IdentityDb)
          .insertInto('totpFactors')
          .values({ userId, secretEnc, confirmedAt: null })
          .onConflict((oc) =>
            oc.column('userId').doUpdateSet({ secretEnc, confirmedAt: null, lastStep: '0' }),
          )
          .execute();
        return { secret, otpauthUri: totpFor(secret, label).toString() };
      });
    },

    /** Confirms enrolment with a first code and hands out the recovery codes, once. */
    async confirmTotp(userId: UserId, code: string): Promise<string[]> {
      return withTransaction(deps.db, async (trx) => {
        const factor = await readTotp(trx as IdentityDb, userId);
        if (!factor || factor.confirmedAt) {
          throw IdentityErrors.IDENTITY_MFA_NOT_ENROLLED('Start setting up an authenticator app first.');
        }
        const now = deps.clock.now().getTime();
        const delta = totpFor(factor.secret, 'x').validate({ token: code, timestamp: now, window: 1 });
        if (delta === null) {
          throw IdentityErrors.IDENTITY_TOTP_CODE_MISMATCH(
            'That code does not match. Check the time on your device.',
            {
              errors: [{ field: 'body.code', message: 'does not match the authenticator app' }],
            },
          );
        }
        await (trx as IdentityDb)
          .updateTable('totpFactors')
          .set({
            confirmedAt: deps.clock.now(),
            lastStep: String(Math.floor(now / 1000 / PERIOD_SECONDS) + delta),
          })
          .where('userId', '=', userId)
          .execute();
        return newRecoveryCodes(trx as IdentityDb, userId);
      });
    },

    /**
     * Enrols TOTP at once, for an account an operator creates (`bulwark staff create`): the secret goes to
     * the operator's terminal and from there to the staff member's authenticator.
     */
    async enrolConfirmedTotp(
      trx: AnyDb,
      userId: UserId,
    ): Promise<{ secret: string; recoveryCodes: string[] }> {
      const secret = new Secret({ size: 20 }).base32;
      const secretEnc = await deps.vault.seal(trx, secretField(userId), secret);
      await (trx as IdentityDb)
        .insertInto('totpFactors')
        .values({ userId, secretEnc, confirmedAt: deps.clock.now() })
        .execute();
      return { secret, recoveryCodes: await newRecoveryCodes(trx as IdentityDb, userId) };
    },

    async removeTotp(trx: AnyDb, userId: UserId): Promise<boolean> {
      const result = await (trx as IdentityDb)
        .deleteFrom('totpFactors')
        .where('userId', '=', userId)
        .executeTakeFirst();
      await (trx as IdentityDb).deleteFrom('recoveryCodes').where('userId', '=', userId).execute();
      return result.numDeletedRows > 0n;
    },

    regenerateRecoveryCodes: (userId: UserId) =>
      withTransaction(deps.db, (trx) => newRecoveryCodes(trx as IdentityDb, userId)),

    /** Checks a TOTP code or a recovery code; returns which was used, or null. Each is good once. */
    async verify(userId: UserId, code: string): Promise<SecondFactorUsed | null> {
      if (/^\d{6}$/.test(code)) return (await acceptTotp(db, userId, code)) ? 'totp' : null;
      if (!isRecoveryCodeShape(code)) return null;
      return (await acceptRecoveryCode(db, userId, code)) ? 'recovery_code' : null;
    },
  };
}

export type SecondFactors = ReturnType<typeof createSecondFactors>;

function randomRecoveryCode(): string {
  const code = randomString(CODE_ALPHABET, 10);
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

function normalizeRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

function isRecoveryCodeShape(code: string): boolean {
  return /^[0-9A-Za-z]{5}-?[0-9A-Za-z]{5}$/.test(code.trim());
}
