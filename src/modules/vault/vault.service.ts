import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import type { EventBus } from '../../platform/events.ts';
import { newId } from '../../platform/ids.ts';
import {
  type DataKeyRow,
  findDataKeyById,
  findDataKeyByOwner,
  insertDataKey,
  shredDataKey,
  shredDataKeyById,
  type VaultDb,
} from './data-keys.repository.ts';
import { type FieldRef, keyIdOf, openField, sealField } from './field-cipher.ts';
import type { MasterKeyProvider } from './keyring.ts';
import { type MaskKind, mask } from './masking.ts';
import type { RootKey } from './root-key.ts';
import { constantTimeEqual, hmac, randomDataKey } from './secrets.ts';
import type { ShredLog } from './shred-log.ts';
import { VaultErrors } from './vault.errors.ts';

// Unwrapped data keys kept in memory; bounded so a walk over many users cannot grow the heap.
const KEY_CACHE_LIMIT = 10_000;
// A cached key's row is read again after this long, so a key shredded by another node (or re-shredded by
// a shred-log replay there) stops opening data on this node too, not only after its next restart.
const KEY_RECHECK_MS = 5_000;

export interface ProtectedField extends FieldRef {
  /** The person the value belongs to: their data key encrypts it, and shredding it destroys the value. */
  readonly ownerId: string;
}

/** A protected value as stored: where it lives and its ciphertext (null when the field is empty). */
export interface StoredField extends FieldRef {
  readonly ciphertext: string | null;
}

/** Who asks the vault for someone else's data: only an ID, a role and a permission check. */
export interface Actor {
  readonly id: string;
  readonly role: string;
  may(permission: string): boolean;
}

export interface RevealRequest {
  readonly actor: Actor;
  readonly subjectId: string;
  readonly permission: string;
  readonly purpose: string;
  readonly fields: Readonly<Record<string, StoredField>>;
  /**
   * An approval that stands in for the budget (a bulk export two people approved). Opaque here: the
   * budget hook honours only grants it issued itself, so a made-up one changes nothing.
   */
  readonly grant?: RevealGrant;
}

/** Issued by the shield's budget; the vault only carries it from the caller to the budget hook. */
export interface RevealGrant {
  readonly kind: string;
  readonly id: string;
}

/**
 * Checks that run before plaintext leaves the vault for someone other than its subject. The budget hook
 * (shield) may refuse by throwing; the trail hook records the read. Both default to doing nothing until
 * their modules exist. `db` is the caller's handle: inside a transaction it is that transaction (PGlite
 * has one connection, so a hook must never wait on the root handle while it is held).
 */
export interface RevealHooks {
  budget(request: RevealRequest, db: AnyDb): Promise<void>;
  trail(request: RevealRequest, db: AnyDb): Promise<void>;
}

export interface VaultDeps {
  readonly provider: MasterKeyProvider;
  readonly root: RootKey;
  readonly events: EventBus;
  readonly clock: Clock;
  readonly shredLog: ShredLog;
}

interface CachedKey {
  readonly key: Buffer;
  readonly ownerId: string;
  /** When the key's row was last seen live (Date.now()). */
  checkedAt: number;
}

/** What keyed tags are for: one key per purpose. */
export type TagPurpose = 'challenge';

export class Vault {
  readonly #deps: VaultDeps;
  readonly #keys = new Map<string, CachedKey>();
  // Owner → data key ID, so sealing a record's fields looks the key up once, not once per field.
  readonly #keyIdByOwner = new Map<string, string>();
  readonly #blindIndexKey: Buffer;
  readonly #tagKeys = new Map<TagPurpose, Buffer>();
  #hooks: RevealHooks = { budget: async () => {}, trail: async () => {} };

  constructor(deps: VaultDeps) {
    this.#deps = deps;
    // Separate from every encryption key: knowing it lets one test guesses, never decrypt.
    this.#blindIndexKey = deps.root.derive('blind-index v1');
  }

  get provider(): MasterKeyProvider {
    return this.#deps.provider;
  }

  /** Installs the budget and trail checks (shield and trail modules). */
  setRevealHooks(hooks: Partial<RevealHooks>): void {
    this.#hooks = { ...this.#hooks, ...hooks };
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

  /** The subject's own data, for the subject: refuses a ciphertext made with anyone else's key. */
  async openOwn(db: AnyDb, subjectId: string, field: FieldRef, ciphertext: string): Promise<string> {
    return this.#open(db as VaultDb, field, ciphertext, subjectId);
  }

  async openOwnOptional(db: AnyDb, subjectId: string, field: FieldRef, ciphertext: string | null) {
    return ciphertext === null ? null : this.openOwn(db, subjectId, field, ciphertext);
  }

  /** Masked values for someone other than the subject: the plaintext never leaves the vault. */
  async masked(
    db: AnyDb,
    subjectId: string,
    fields: Readonly<Record<string, StoredField & { kind: MaskKind }>>,
  ): Promise<Record<string, string | null>> {
    const out: Record<string, string | null> = {};
    for (const [name, field] of Object.entries(fields)) {
      out[name] =
        field.ciphertext === null
          ? null
          : mask(field.kind, await this.#open(db as VaultDb, field, field.ciphertext, subjectId));
    }
    return out;
  }

  /**
   * The only way plaintext leaves the vault for anyone but its subject: permission, then the budget,
   * then the trail, and only then decryption; an event records every reveal.
   */
  async reveal(db: AnyDb, request: RevealRequest): Promise<Record<string, string | null>> {
    if (!request.actor.may(request.permission)) {
      throw VaultErrors.VAULT_REVEAL_FORBIDDEN('Your role may not reveal personal data.');
    }
    await this.#hooks.budget(request, db);
    await this.#hooks.trail(request, db);
    const out: Record<string, string | null> = {};
    for (const [name, field] of Object.entries(request.fields)) {
      out[name] =
        field.ciphertext === null
          ? null
          : await this.#open(db as VaultDb, field, field.ciphertext, request.subjectId);
    }
    this.#deps.events.emit('vault.pii_revealed', {
      actorId: request.actor.id,
      actorRole: request.actor.role,
      subjectId: request.subjectId,
      fields: Object.keys(request.fields),
      purpose: request.purpose,
    });
    return out;
  }

  /** Keyed, deterministic digest for equality look-ups (login by e-mail) without storing the value. */
  blindIndex(kind: 'email' | 'phone' | 'recovery-code' | 'device', normalizedValue: string): string {
    return hmac(this.#blindIndexKey, `${kind}\u0000${normalizedValue}`);
  }

  /**
   * A keyed tag over a value the server hands out and must recognise when it comes back (a challenge
   * token): only this server can make one, and each purpose has its own key.
   */
  tag(purpose: TagPurpose, value: string): string {
    let key = this.#tagKeys.get(purpose);
    if (!key) {
      key = this.#deps.root.derive(`tag ${purpose} v1`);
      this.#tagKeys.set(purpose, key);
    }
    return hmac(key, value);
  }

  /** Whether `tag` is this server's tag over `value` for `purpose` (constant time). */
  tagMatches(purpose: TagPurpose, value: string, tag: string): boolean {
    return constantTimeEqual(this.tag(purpose, value), tag);
  }

  /**
   * Crypto-shredding, step one, inside the caller's transaction: destroys the owner's data key, so every
   * copy of their ciphertext (live rows, replicas, backups) becomes unreadable. Returns the key's ID for
   * `confirmShred`, which the caller runs once the transaction has committed.
   */
  async shred(db: AnyDb, ownerId: string): Promise<string | null> {
    return shredDataKey(db as VaultDb, ownerId, this.#deps.clock.now());
  }

  /**
   * Step two, after commit: forgets the key here and writes it to the shred log, kept apart from the
   * database, so restoring an old backup can destroy the key again.
   */
  confirmShred(keyId: string, ownerId: string): void {
    this.#keys.delete(keyId);
    this.#keyIdByOwner.delete(ownerId);
    this.#deps.shredLog.append(keyId);
    this.#deps.events.emit('vault.data_key_shredded', { ownerId });
  }

  /** Re-destroys every key in the shred log (after restoring a backup); returns how many were live. */
  async replayShredLog(db: AnyDb): Promise<number> {
    let destroyed = 0;
    for (const keyId of this.#deps.shredLog.keyIds()) {
      if (await shredDataKeyById(db as VaultDb, keyId, this.#deps.clock.now())) destroyed += 1;
      this.#keys.delete(keyId);
    }
    return destroyed;
  }

  async #open(db: VaultDb, ref: FieldRef, ciphertext: string, expectedOwner: string): Promise<string> {
    const keyId = keyIdOf(ciphertext);
    if (!keyId) return this.#fail(ref, 'unknown ciphertext format');
    const key = await this.#keyById(db, keyId, ref);
    if (key.ownerId !== expectedOwner) return this.#fail(ref, "ciphertext made with another owner's key");
    const plaintext = openField(key.key, ref, ciphertext);
    return plaintext ?? this.#fail(ref, 'authentication failed (tampered, moved or wrong key)');
  }

  #fail(ref: FieldRef, reason: string): never {
    this.#deps.events.emit('vault.decryption_failed', {
      table: ref.table,
      column: ref.column,
      rowId: ref.rowId,
      reason,
    });
    throw VaultErrors.VAULT_DATA_UNREADABLE(
      'This record cannot be read right now; the security team has been alerted.',
      { cause: new Error(reason) },
    );
  }

  async #dataKeyFor(db: VaultDb, ownerId: string): Promise<{ id: string; key: Buffer }> {
    const knownId = this.#keyIdByOwner.get(ownerId);
    const known = knownId ? this.#keys.get(knownId) : undefined;
    if (knownId && known && isFresh(known)) return { id: knownId, key: known.key };
    const existing = await findDataKeyByOwner(db, ownerId);
    if (existing) {
      if (existing.shreddedAt) {
        this.#forget(existing.id);
        throw VaultErrors.VAULT_DATA_ERASED('This account was deleted.');
      }
      return { id: existing.id, key: (await this.#unwrap(db, existing)).key };
    }
    const id = newId('dataKey');
    const key = randomDataKey();
    const version = await this.#deps.provider.activeVersion(db);
    await insertDataKey(db, {
      id,
      ownerId,
      wrappedKey: await this.#deps.provider.wrap(db, version, key, wrapContext(id, ownerId)),
      masterVersion: version,
    });
    this.#remember(id, { key, ownerId, checkedAt: Date.now() });
    return { id, key };
  }

  async #keyById(db: VaultDb, id: string, ref: FieldRef): Promise<CachedKey> {
    const cached = this.#keys.get(id);
    if (cached && isFresh(cached)) return cached;
    const row = await findDataKeyById(db, id);
    if (!row || row.shreddedAt) this.#forget(id);
    if (!row) return this.#fail(ref, 'data key missing');
    if (row.shreddedAt) throw VaultErrors.VAULT_DATA_ERASED('This personal data was erased.');
    try {
      return await this.#unwrap(db, row);
    } catch {
      return this.#fail(ref, 'data key could not be unwrapped');
    }
  }

  async #unwrap(db: VaultDb, row: DataKeyRow): Promise<CachedKey> {
    const cached = this.#keys.get(row.id);
    if (cached) {
      // The caller has just read the row and found it live.
      cached.checkedAt = Date.now();
      return cached;
    }
    if (row.wrappedKey === null) throw VaultErrors.VAULT_DATA_ERASED('This personal data was erased.');
    const key = await this.#deps.provider.unwrap(
      db,
      row.masterVersion,
      row.wrappedKey,
      wrapContext(row.id, row.ownerId),
    );
    return this.#remember(row.id, { key, ownerId: row.ownerId, checkedAt: Date.now() });
  }

  #forget(id: string): void {
    const entry = this.#keys.get(id);
    this.#keys.delete(id);
    if (entry && this.#keyIdByOwner.get(entry.ownerId) === id) this.#keyIdByOwner.delete(entry.ownerId);
  }

  #remember(id: string, entry: CachedKey): CachedKey {
    if (this.#keys.size >= KEY_CACHE_LIMIT) {
      const oldest = this.#keys.keys().next().value;
      if (oldest !== undefined) this.#keys.delete(oldest);
    }
    this.#keys.set(id, entry);
    this.#keyIdByOwner.set(entry.ownerId, id);
    if (this.#keyIdByOwner.size > KEY_CACHE_LIMIT) {
      const oldest = this.#keyIdByOwner.keys().next().value;
      if (oldest !== undefined) this.#keyIdByOwner.delete(oldest);
    }
    return entry;
  }
}

function isFresh(entry: CachedKey): boolean {
  return Date.now() - entry.checkedAt < KEY_RECHECK_MS;
}

export function wrapContext(keyId: string, ownerId: string): string {
  return `bulwark data key\u0000${keyId}\u0000${ownerId}`;
}
