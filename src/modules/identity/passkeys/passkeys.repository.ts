import type { Insertable, Transaction } from 'kysely';
import type { AnyDb } from '../../../platform/db/index.ts';
import type { IdentityDb } from '../identity.tables.ts';
import { lockUser as lockAccount } from '../users.repository.ts';
import type {
  ChallengePurpose,
  PasskeyRow,
  PasskeysDb,
  PasskeysTable,
  PasskeyTables,
  WebauthnChallengesTable,
} from './passkeys.tables.ts';

const asDb = (db: AnyDb) => db as PasskeysDb;

export async function countPasskeys(db: AnyDb, userId: string): Promise<number> {
  const row = await asDb(db)
    .selectFrom('passkeys')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('userId', '=', userId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export function listPasskeys(db: AnyDb, userId: string): Promise<PasskeyRow[]> {
  return asDb(db)
    .selectFrom('passkeys')
    .selectAll()
    .where('userId', '=', userId)
    .orderBy('createdAt', 'asc')
    .orderBy('id', 'asc')
    .execute();
}

export function findPasskeyByCredentialId(db: AnyDb, credentialId: string): Promise<PasskeyRow | undefined> {
  return asDb(db)
    .selectFrom('passkeys')
    .selectAll()
    .where('credentialId', '=', credentialId)
    .executeTakeFirst();
}

/** The user's own passkey; another user's is as absent as a missing one. */
export function findOwnPasskey(db: AnyDb, userId: string, id: string): Promise<PasskeyRow | undefined> {
  return asDb(db)
    .selectFrom('passkeys')
    .selectAll()
    .where('id', '=', id)
    .where('userId', '=', userId)
    .executeTakeFirst();
}

export async function insertPasskey(db: AnyDb, row: Insertable<PasskeysTable>): Promise<void> {
  await asDb(db).insertInto('passkeys').values(row).execute();
}

export async function deleteOwnPasskey(db: AnyDb, userId: string, id: string): Promise<boolean> {
  const result = await asDb(db)
    .deleteFrom('passkeys')
    .where('id', '=', id)
    .where('userId', '=', userId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** The account's row lock, shared with TOTP removal: one lock serialises every change to the factors. */
export function lockUser(trx: Transaction<PasskeyTables>, userId: string): Promise<void> {
  return lockAccount(trx as unknown as IdentityDb, userId);
}

/**
 * Records a verified use. Compare-and-set on the counter the verification was made against, so two
 * concurrent assertions cannot both move it (or move it backwards); false when another use won.
 */
export async function recordPasskeyUse(
  db: AnyDb,
  id: string,
  use: { expectedCounter: number; counter: number; userVerified: boolean; backedUp: boolean; at: Date },
): Promise<boolean> {
  const result = await asDb(db)
    .updateTable('passkeys')
    .set({
      counter: use.counter,
      lastUserVerified: use.userVerified,
      backedUp: use.backedUp,
      lastUsedAt: use.at,
    })
    .where('id', '=', id)
    .where('counter', '=', use.expectedCounter)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function flagPossibleClone(db: AnyDb, id: string, at: Date): Promise<void> {
  await asDb(db).updateTable('passkeys').set({ cloneSuspectedAt: at }).where('id', '=', id).execute();
}

export async function insertChallenge(db: AnyDb, row: WebauthnChallengesTable): Promise<void> {
  await asDb(db).insertInto('webauthnChallenges').values(row).execute();
}

/** Expired challenges are worthless; dropping them as new ones are made keeps the table small. */
export async function deleteExpiredChallenges(db: AnyDb, now: Date): Promise<void> {
  await asDb(db).deleteFrom('webauthnChallenges').where('expiresAt', '<=', now).execute();
}

/**
 * Uses a challenge up, atomically: the first of two concurrent answers wins, the other finds nothing.
 * It must be live, unused, for this purpose and (when one is named) for this user.
 */
export async function consumeChallenge(
  db: AnyDb,
  query: { id: string; purpose: ChallengePurpose; userId: string | null; now: Date },
): Promise<string | undefined> {
  let update = asDb(db)
    .updateTable('webauthnChallenges')
    .set({ usedAt: query.now })
    .where('id', '=', query.id)
    .where('purpose', '=', query.purpose)
    .where('usedAt', 'is', null)
    .where('expiresAt', '>', query.now);
  update =
    query.userId === null ? update.where('userId', 'is', null) : update.where('userId', '=', query.userId);
  const row = await update.returning('challenge').executeTakeFirst();
  return row?.challenge;
}

/** Whether a challenge that could not be used had simply run out of time (for a clearer answer). */
export async function challengeExpired(db: AnyDb, id: string, now: Date): Promise<boolean> {
  const row = await asDb(db)
    .selectFrom('webauthnChallenges')
    .select(['expiresAt', 'usedAt'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row !== undefined && row.usedAt === null && row.expiresAt.getTime() <= now.getTime();
}
