import type { Insertable, Updateable } from 'kysely';
import type { IdentityDb, SessionRow, SessionsTable, UserRow } from './identity.tables.ts';

export interface LiveSession {
  readonly session: SessionRow;
  readonly user: Pick<UserRow, 'id' | 'kind' | 'role' | 'status'>;
}

export async function insertSession(db: IdentityDb, row: Insertable<SessionsTable>): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

/** A session by a column that identifies it, only while neither it nor its user is revoked or expired. */
export async function findLiveSession(
  db: IdentityDb,
  column: 'tokenHash' | 'id',
  value: string,
  now: Date,
  expiry: 'access' | 'refresh' = 'access',
): Promise<LiveSession | undefined> {
  const until = expiry === 'access' ? 'sessions.expiresAt' : 'sessions.refreshExpiresAt';
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.userId')
    .selectAll('sessions')
    .select(['users.kind as userKind', 'users.role as userRole', 'users.status as userStatus'])
    .where(`sessions.${column}`, '=', value)
    .where('sessions.revokedAt', 'is', null)
    .where(until, '>', now)
    .where('users.status', '=', 'active')
    .executeTakeFirst();
  if (!row) return undefined;
  const { userKind, userRole, userStatus, ...session } = row;
  return { session, user: { id: session.userId, kind: userKind, role: userRole, status: userStatus } };
}

export async function updateSession(
  db: IdentityDb,
  id: string,
  changes: Updateable<SessionsTable>,
): Promise<void> {
  await db.updateTable('sessions').set(changes).where('id', '=', id).execute();
}

export function listLiveSessions(db: IdentityDb, userId: string, now: Date): Promise<SessionRow[]> {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('userId', '=', userId)
    .where('revokedAt', 'is', null)
    .where((eb) => eb.or([eb('expiresAt', '>', now), eb('refreshExpiresAt', '>', now)]))
    .orderBy('createdAt', 'desc')
    .limit(200)
    .execute();
}

/**
 * Revokes the user's live sessions: one (`only`), all but one (`except`), or all. Returns how many; a
 * session of someone else is never touched because the user ID is part of every condition.
 */
export async function revokeSessions(
  db: IdentityDb,
  userId: string,
  now: Date,
  which: { only?: string; except?: string } = {},
): Promise<number> {
  let query = db
    .updateTable('sessions')
    .set({ revokedAt: now })
    .where('userId', '=', userId)
    .where('revokedAt', 'is', null);
  if (which.only) query = query.where('id', '=', which.only);
  if (which.except) query = query.where('id', '!=', which.except);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The refresh token's family (its session) and whether the token was already used. */
export function findRefreshToken(db: IdentityDb, digest: string) {
  return db
    .selectFrom('refreshTokens')
    .select(['sessionId', 'usedAt'])
    .where('tokenHash', '=', digest)
    .executeTakeFirst();
}

/** Marks a refresh token used; false when someone else used it first. */
export async function useRefreshToken(db: IdentityDb, digest: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('refreshTokens')
    .set({ usedAt: now })
    .where('tokenHash', '=', digest)
    .where('usedAt', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function insertRefreshToken(db: IdentityDb, sessionId: string, digest: string): Promise<void> {
  await db.insertInto('refreshTokens').values({ sessionId, tokenHash: digest }).execute();
}

export async function revokeSessionById(db: IdentityDb, sessionId: string, now: Date): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ revokedAt: now })
    .where('id', '=', sessionId)
    .where('revokedAt', 'is', null)
    .execute();
}
