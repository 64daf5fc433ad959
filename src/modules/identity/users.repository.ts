import { type Insertable, sql, type Updateable } from 'kysely';
import type { IdentityDb, UserRow, UsersTable } from './identity.tables.ts';

export function findUserByEmailIndex(db: IdentityDb, emailIndex: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('emailIndex', '=', emailIndex).executeTakeFirst();
}

export function findUserById(db: IdentityDb, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertUser(db: IdentityDb, row: Insertable<UsersTable>): Promise<void> {
  await db.insertInto('users').values(row).execute();
}

export async function updateUser(db: IdentityDb, id: string, changes: Updateable<UsersTable>): Promise<void> {
  await db.updateTable('users').set(changes).where('id', '=', id).execute();
}

export async function countUsers(db: IdentityDb): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Serialises changes to one account's factors: concurrent removals cannot both see "another one left". */
export async function lockUser(db: IdentityDb, userId: string): Promise<void> {
  await db.selectFrom('users').select('id').where('id', '=', userId).forUpdate().executeTakeFirst();
}

/**
 * The account an e-mail names, with whether it has second factors, in one round trip: login runs this for
 * every attempt, and everything it adds to the hash's cost is overhead.
 */
export function findLoginSubject(db: IdentityDb, emailIndex: string) {
  return db
    .selectFrom('users')
    .selectAll('users')
    .select([
      sql<boolean>`exists (select 1 from totp_factors t where t.user_id = users.id and t.confirmed_at is not null)`.as(
        'hasTotp',
      ),
      sql<string | number>`(select count(*) from passkeys p where p.user_id = users.id)`.as('passkeyCount'),
    ])
    .where('emailIndex', '=', emailIndex)
    .executeTakeFirst();
}
