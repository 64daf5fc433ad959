import type { Insertable, Updateable } from 'kysely';
import type { IdentityDb, SessionRow, SessionsTable, UserRow } from './identity.tables.ts';

export interface LiveSession {
  readonly session: SessionRow;
  readonly user: Pick<UserRow, 'id' | 'kind' | 'role' | 'status'>;
}

export async function insertSession(db: IdentityDb, row: Insertable<SessionsTable>): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

/** The session a token digest belongs to, only while neither it nor its user is revoked or expired. */
export async function findLiveSession(
  db: IdentityDb,
  column: 'tokenHash' | 'refreshHash',
  digest: string,
  now: Date,
): Promise<LiveSession | undefined> {
  const expiry = column === 'tokenHash' ? 'sessions.expiresAt' : 'sessions.refreshExpiresAt';
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.userId')
    .selectAll('sessions')
    .select(['users.kind as userKind', 'users.role as userRole', 'users.status as userStatus'])
    .where(`sessions.${column}`, '=', digest)
    .where('sessions.revokedAt', 'is', null)
    .where(expiry, '>', now)
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

/** Revokes one of the user's own sessions; returns false when the user has no such live session. */
export async function revokeOwnSession(
  db: IdentityDb,
  userId: string,
  sessionId: string,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('sessions')
    .set({ revokedAt: now })
    .where('id', '=', sessionId)
    .where('userId', '=', userId)
    .where('revokedAt', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Revokes the session whose previous refresh token this is: a replayed, already-rotated token. */
export async function revokeByPreviousRefresh(db: IdentityDb, digest: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('sessions')
    .set({ revokedAt: now })
    .where('previousRefreshHash', '=', digest)
    .where('revokedAt', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
