import type { Generated, Kysely, Selectable } from 'kysely';

export interface DataKeysTable {
  id: string;
  ownerId: string;
  wrappedKey: string | null;
  kekId: string;
  createdAt: Generated<Date>;
  shreddedAt: Date | null;
}

export interface VaultTables {
  vaultDataKeys: DataKeysTable;
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
  row: { id: string; ownerId: string; wrappedKey: string; kekId: string },
): Promise<void> {
  await db.insertInto('vaultDataKeys').values(row).execute();
}
