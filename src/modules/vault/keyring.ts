import { sql } from 'kysely';
import type { AnyDb } from '../../platform/db/index.ts';
import { decode, encode, open, seal } from './aead.ts';
import type { RootKey } from './root-key.ts';
import { randomDataKey } from './secrets.ts';
import { VaultErrors } from './vault.errors.ts';

export interface MasterKeyVersion {
  readonly version: number;
  readonly createdAt: Date;
  readonly retiredAt: Date | null;
}

/**
 * Holds the master key versions that wrap data keys. The local provider keeps each version wrapped by the
 * root key in `vault_master_keys`; a KMS provider (AWS KMS, Google Cloud KMS, Vault Transit) implements
 * the same calls with the KMS's own key versions and never lets the key material out (docs/operations.md).
 */
export interface MasterKeyProvider {
  // Every call takes the caller's database handle (a transaction, perhaps): the local provider reads its
  // versions through it, and PGlite's single connection must not be asked for twice.
  activeVersion(db: AnyDb): Promise<number>;
  /** Creates the first version if there is none. Run outside any transaction, before serving. */
  initialise(db: AnyDb): Promise<void>;
  wrap(db: AnyDb, version: number, dataKey: Buffer, context: string): Promise<string>;
  unwrap(db: AnyDb, version: number, wrapped: string, context: string): Promise<Buffer>;
  /** Creates a new version and makes it the active one for wrapping. */
  createVersion(db: AnyDb): Promise<number>;
  versions(db: AnyDb): Promise<MasterKeyVersion[]>;
  retire(db: AnyDb, version: number): Promise<void>;
}

// Nodes pick up a version created elsewhere within this time; unknown versions are loaded at once.
const ACTIVE_VERSION_TTL_MS = 5_000;

interface MasterKeyRow {
  version: number;
  wrappedKey: string;
  createdAt: Date;
  retiredAt: Date | null;
}

export class LocalMasterKeyProvider implements MasterKeyProvider {
  readonly #wrappingKey: Buffer;
  readonly #versions = new Map<number, Buffer>();
  #active: { version: number; at: number } | null = null;

  constructor(root: RootKey) {
    this.#wrappingKey = root.derive('master key wrapping v1');
  }

  async activeVersion(db: AnyDb): Promise<number> {
    if (this.#active && Date.now() - this.#active.at < ACTIVE_VERSION_TTL_MS) return this.#active.version;
    const row = await this.#latest(db);
    // Never created lazily: inside a request's transaction a rollback would lose a key already in use.
    if (!row) throw VaultErrors.VAULT_KEY_NOT_FOUND('the keyring has no master key version yet');
    this.#remember(row);
    this.#active = { version: row.version, at: Date.now() };
    return row.version;
  }

  async initialise(db: AnyDb): Promise<void> {
    if (!(await this.#latest(db))) await this.#insertVersion(db, 1);
  }

  async wrap(db: AnyDb, version: number, dataKey: Buffer, context: string): Promise<string> {
    const key = await this.#key(db, version);
    return `v${version}.${encode(seal(key, dataKey, Buffer.from(context, 'utf8')))}`;
  }

  async unwrap(db: AnyDb, version: number, wrapped: string, context: string): Promise<Buffer> {
    const [prefix, ...rest] = wrapped.split('.');
    const sealed = decode(rest.join('.'));
    if (prefix !== `v${version}` || !sealed) {
      throw VaultErrors.VAULT_DECRYPTION_FAILED('a wrapped data key names another master key version');
    }
    const key = await this.#key(db, version);
    try {
      return open(key, sealed, Buffer.from(context, 'utf8'));
    } catch (cause) {
      throw VaultErrors.VAULT_DECRYPTION_FAILED('a data key could not be unwrapped', { cause });
    }
  }

  async createVersion(db: AnyDb): Promise<number> {
    const latest = await this.#latest(db);
    const version = (latest?.version ?? 0) + 1;
    await this.#insertVersion(db, version);
    this.#active = null;
    return this.activeVersion(db);
  }

  async versions(db: AnyDb): Promise<MasterKeyVersion[]> {
    return db
      .selectFrom('vaultMasterKeys')
      .select(['version', 'createdAt', 'retiredAt'])
      .orderBy('version')
      .execute() as Promise<MasterKeyVersion[]>;
  }

  async retire(db: AnyDb, version: number): Promise<void> {
    // A retired version's key material is destroyed: nothing wrapped by it can be opened again.
    await db
      .updateTable('vaultMasterKeys')
      .set({ retiredAt: sql`now()`, wrappedKey: 'retired' })
      .where('version', '=', version)
      .where('retiredAt', 'is', null)
      .execute();
    this.#versions.delete(version);
  }

  async #key(db: AnyDb, version: number): Promise<Buffer> {
    const cached = this.#versions.get(version);
    if (cached) return cached;
    const row = (await db
      .selectFrom('vaultMasterKeys')
      .selectAll()
      .where('version', '=', version)
      .executeTakeFirst()) as MasterKeyRow | undefined;
    if (!row || row.retiredAt) {
      throw VaultErrors.VAULT_KEY_NOT_FOUND(`master key version ${version} is unknown or retired`);
    }
    return this.#remember(row);
  }

  #remember(row: MasterKeyRow): Buffer {
    const cached = this.#versions.get(row.version);
    if (cached) return cached;
    const sealed = decode(row.wrappedKey);
    if (!sealed) throw VaultErrors.VAULT_KEY_NOT_FOUND(`master key version ${row.version} is retired`);
    let key: Buffer;
    try {
      key = open(this.#wrappingKey, sealed, Buffer.from(`bulwark master key v${row.version}`, 'utf8'));
    } catch (cause) {
      // The root key does not match the one these versions were made with.
      throw VaultErrors.VAULT_KEY_NOT_FOUND('the root key cannot open the master key versions', { cause });
    }
    this.#versions.set(row.version, key);
    return key;
  }

  async #latest(db: AnyDb): Promise<MasterKeyRow | undefined> {
    return (await db
      .selectFrom('vaultMasterKeys')
      .selectAll()
      .where('retiredAt', 'is', null)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst()) as MasterKeyRow | undefined;
  }

  async #insertVersion(db: AnyDb, version: number): Promise<void> {
    const key = randomDataKey();
    const wrapped = encode(
      seal(this.#wrappingKey, key, Buffer.from(`bulwark master key v${version}`, 'utf8')),
    );
    // Two nodes creating the same version at once: one insert wins, the other reads the winner's key.
    await db
      .insertInto('vaultMasterKeys')
      .values({ version, wrappedKey: wrapped })
      .onConflict((oc) => oc.column('version').doNothing())
      .execute();
  }
}
