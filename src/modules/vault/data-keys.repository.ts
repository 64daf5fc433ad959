import type { Generated, Kysely, Selectable } from 'kysely';

export interface DataKeysTable {
  id: string;
  ownerId: string;
  wrappedKey: string | null;
  masterVersion: number;
  createdAt: Generated<Date>;
  shreddedAt: Date | null;
}

export interface MasterKeysTable {
  version: number;
  wrappedKey: string;
  createdAt: Generated<Date>;
  retiredAt: Date | null;
}

export interface VaultTables {
  vaultDataKeys: DataKeysTable;
  vaultMasterKeys: MasterKeysTable;
}

export type VaultDb = Kysely<VaultTables>;
export type DataKeyRow = Selectable<DataKeysTable>;

export function findDataKeyByOwner(db: VaultDb, ownerId: string) {
  return db.selectFrom('vaultDataKeys').selectAll().where('ownerId', '=', ownerId).executeTakeFirst();
}

export function findDataKeyById(db: VaultDb, id: string) {
  return db.selectFrom('vaultDataKeys').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertDataKey(
  db: VaultDb,
  row: { id: string; ownerId: string; wrappedKey: string; masterVersion: number },
): Promise<void> {
  await db.insertInto('vaultDataKeys').values(row).execute();
}

/** Destroys the key material: every ciphertext made with it becomes noise. Returns the key's ID. */
export async function shredDataKey(db: VaultDb, ownerId: string, now: Date): Promise<string | null> {
  const row = await db
    .updateTable('vaultDataKeys')
    .set({ wrappedKey: null, shreddedAt: now })
    .where('ownerId', '=', ownerId)
    .where('shreddedAt', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return row?.id ?? null;
}

export async function shredDataKeyById(db: VaultDb, id: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('vaultDataKeys')
    .set({ wrappedKey: null, shreddedAt: now })
    .where('id', '=', id)
    .where('shreddedAt', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Live data keys still wrapped by a version other than `version`, oldest first. */
export function keysToRewrap(db: VaultDb, version: number, limit: number) {
  return db
    .selectFrom('vaultDataKeys')
    .selectAll()
    .where('masterVersion', '<>', version)
    .where('shreddedAt', 'is', null)
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** Replaces a wrapped key only if nobody changed it meanwhile (a concurrent rewrap or a shred). */
export async function replaceWrapping(
  db: VaultDb,
  row: DataKeyRow,
  wrappedKey: string,
  masterVersion: number,
): Promise<boolean> {
  const result = await db
    .updateTable('vaultDataKeys')
    .set({ wrappedKey, masterVersion })
    .where('id', '=', row.id)
    .where('masterVersion', '=', row.masterVersion)
    .where('shreddedAt', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function countKeysByVersion(db: VaultDb): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom('vaultDataKeys')
    .select(['masterVersion', (eb) => eb.fn.countAll<string>().as('n')])
    .where('shreddedAt', 'is', null)
    .groupBy('masterVersion')
    .execute();
  return new Map(rows.map((row) => [row.masterVersion, Number(row.n)]));
}
