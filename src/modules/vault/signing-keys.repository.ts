import type { Generated, Kysely, Selectable } from 'kysely';

export interface SigningKeysTable {
  kid: string;
  alg: string;
  /** The public JWK as JSON text. */
  publicJwk: string;
  /** The private JWK wrapped by master key `masterVersion`; null once the key is superseded. */
  privateEnc: string | null;
  masterVersion: number | null;
  createdAt: Generated<Date>;
  activatedAt: Date;
  /** Null while the key is the active one; after this instant it verifies nothing. */
  retiresAt: Date | null;
}

export interface SigningKeysTables {
  vaultSigningKeys: SigningKeysTable;
}

export type SigningKeysDb = Kysely<SigningKeysTables>;
export type SigningKeyRow = Selectable<SigningKeysTable>;

/** Every key that may still verify at `now`: the active one and those whose retirement is ahead. */
export function listVerifyingKeys(db: SigningKeysDb, now: Date) {
  return db
    .selectFrom('vaultSigningKeys')
    .selectAll()
    .where((eb) => eb.or([eb('retiresAt', 'is', null), eb('retiresAt', '>', now)]))
    .orderBy('activatedAt', 'desc')
    .execute();
}

/** The active key, locked when `lock` is set (only inside a transaction). */
export function findActiveKey(db: SigningKeysDb, lock = false) {
  const query = db.selectFrom('vaultSigningKeys').selectAll().where('retiresAt', 'is', null);
  return (lock ? query.forUpdate() : query).executeTakeFirst();
}

export async function insertActiveKey(
  db: SigningKeysDb,
  row: {
    kid: string;
    alg: string;
    publicJwk: string;
    privateEnc: string;
    masterVersion: number;
    activatedAt: Date;
  },
): Promise<void> {
  await db.insertInto('vaultSigningKeys').values(row).execute();
}

/** Supersedes the active key: its private key is destroyed now, its public key verifies until `retiresAt`. */
export async function supersedeKey(db: SigningKeysDb, kid: string, retiresAt: Date): Promise<boolean> {
  const result = await db
    .updateTable('vaultSigningKeys')
    .set({ retiresAt, privateEnc: null, masterVersion: null })
    .where('kid', '=', kid)
    .where('retiresAt', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Replaces the private key's wrapping only if nobody changed it meanwhile (master key rotation). */
export async function replacePrivateWrapping(
  db: SigningKeysDb,
  row: SigningKeyRow,
  privateEnc: string,
  masterVersion: number,
): Promise<boolean> {
  if (row.masterVersion === null) return false;
  const result = await db
    .updateTable('vaultSigningKeys')
    .set({ privateEnc, masterVersion })
    .where('kid', '=', row.kid)
    .where('masterVersion', '=', row.masterVersion)
    .where('retiresAt', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
