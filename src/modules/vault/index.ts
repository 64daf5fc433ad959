/**
 * The vault: the one place where Bulwark does cryptography. Field encryption (envelope, per-owner data
 * keys), blind indexes, password hashing and bearer-token digests.
 */
export type { FieldRef } from './field-cipher.ts';
export {
  ephemeralMasterKey,
  LocalMasterKeyProvider,
  loadMasterKey,
  type MasterKeyProvider,
  type MasterKeySource,
} from './master-key.ts';
export { createPasswordHasher, type PasswordHasher } from './password-hasher.ts';
export { constantTimeEqual, digestToken, randomToken } from './secrets.ts';
export { VaultErrors } from './vault.errors.ts';
export { PLATFORM_OWNER, type ProtectedField, Vault } from './vault.service.ts';
