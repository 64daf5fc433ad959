import type { AnyDb } from '../../platform/db/index.ts';
import { newId } from '../../platform/ids.ts';
import {
  type DataKeyRow,
  findDataKeyById,
  findDataKeyByOwner,
  insertDataKey,
  type VaultDb,
} from './data-keys.repository.ts';
import { type FieldRef, openField, parseCiphertext, sealField } from './field-cipher.ts';
import type { MasterKeyProvider } from './master-key.ts';
import { hmac, randomDataKey } from './secrets.ts';
import { VaultErrors } from './vault.errors.ts';

/** The ID under which platform-owned records (not any one person's) are encrypted. */
export const PLATFORM_OWNER = 'platform';

// Unwrapped data keys kept in memory; bounded so a walk over many users cannot grow the heap.
const KEY_CACHE_LIMIT = 10_000;

export interface ProtectedField extends FieldRef {
  /** The person the value belongs to: their data key encrypts it, and shredding it destroys the value. */
  readonly ownerId: string;
}

export class Vault {
  readonly #master: MasterKeyProvider;
  readonly #keys = new Map<string, Buffer>();
  readonly #blindIndexKey: Buffer;

  constructor(master: MasterKeyProvider) {
    this.#master = master;
    this.#blindIndexKey = master.deriveSubkey('blind-index v1');
  }

  /** Creates the owner's data key in `db`'s transaction if it has none yet. */
  async ensureDataKey(db: AnyDb, ownerId: string): Promise<void> {
    await this.#dataKeyFor(db as VaultDb, ownerId);
  }

  async seal(db: AnyDb, field: ProtectedField, plaintext: string): Promise<string> {
    const { id, key } = await this.#dataKeyFor(db as VaultDb, field.ownerId);
    return sealField(key, id, field, plaintext);
  }

  async sealOptional(db: AnyDb, field: ProtectedField, plaintext: string | null | undefined) {
    return plaintext === null || plaintext === undefined ? null : this.seal(db, field, plaintext);
  }

  async open(db: AnyDb, field: FieldRef, ciphertext: string): Promise<string> {
    const parsed = parseCiphertext(ciphertext);
    const key = await this.#dataKeyById(db as VaultDb, parsed.keyId);
    return openField(key, field, parsed);
  }

  async openOptional(db: AnyDb, field: FieldRef, ciphertext: string | null): Promise<string | null> {
    return ciphertext === null ? null : this.open(db, field, ciphertext);
  }

  /** Keyed, deterministic digest for equality lookups (login by e-mail) without storing the value. */
  blindIndex(kind: string, normalizedValue: string): string {
    return hmac(this.#blindIndexKey, `${kind}\u0000${normalizedValue}`);
  }

  async #dataKeyFor(db: VaultDb, ownerId: string): Promise<{ id: string; key: Buffer }> {
    const existing = await findDataKeyByOwner(db, ownerId);
    if (existing) return { id: existing.id, key: this.#unwrap(existing) };
    const id = newId('dataKey');
    const key = randomDataKey();
    await insertDataKey(db, {
      id,
      ownerId,
      wrappedKey: this.#master.wrap(key, wrapContext(id, ownerId)),
      kekId: this.#master.keyId,
    });
    this.#remember(id, key);
    return { id, key };
  }

  async #dataKeyById(db: VaultDb, id: string): Promise<Buffer> {
    const cached = this.#keys.get(id);
    if (cached) return cached;
    const row = await findDataKeyById(db, id);
    if (!row) throw VaultErrors.VAULT_KEY_NOT_FOUND('a protected field names an unknown data key');
    return this.#unwrap(row);
  }

  #unwrap(row: DataKeyRow): Buffer {
    const cached = this.#keys.get(row.id);
    if (cached) return cached;
    if (row.wrappedKey === null) throw VaultErrors.VAULT_KEY_NOT_FOUND('the data key was destroyed');
    if (row.kekId !== this.#master.keyId) {
      throw VaultErrors.VAULT_KEY_NOT_FOUND(
        'the data key was wrapped by a master key this node does not hold',
      );
    }
    const key = this.#master.unwrap(row.wrappedKey, wrapContext(row.id, row.ownerId));
    this.#remember(row.id, key);
    return key;
  }

  #remember(id: string, key: Buffer): void {
    if (this.#keys.size >= KEY_CACHE_LIMIT) {
      const oldest = this.#keys.keys().next().value;
      if (oldest !== undefined) this.#keys.delete(oldest);
    }
    this.#keys.set(id, key);
  }
}

function wrapContext(keyId: string, ownerId: string): string {
  return `bulwark data key\u0000${keyId}\u0000${ownerId}`;
}
