/**
 * The vault: the one place where Bulwark does cryptography. Envelope encryption of personal data with
 * per-owner data keys under versioned master keys, blind indexes, masking, purpose-bound reveal, key
 * rotation and crypto-shredding, password hashing, bearer-token digests, and access tokens signed with
 * rotating keys (JWT, EdDSA).
 */
export {
  type CheckpointPublicKey,
  CheckpointSigner,
  type TrailKeysTable,
  verifyCheckpointJws,
} from './checkpoint-signer.ts';
export { sha256Base64url } from './digests.ts';
export type { FieldRef } from './field-cipher.ts';
export { JwksResponse, registerJwksRoute } from './jwks.routes.ts';
export { LocalMasterKeyProvider, type MasterKeyProvider, type MasterKeyVersion } from './keyring.ts';
export { type MaskKind, maskEmail, maskName, maskPhone } from './masking.ts';
export { createPasswordHasher, type PasswordHasher } from './password-hasher.ts';
export { ephemeralRootKey, loadRootKey, RootKey, type RootKeySource } from './root-key.ts';
export {
  type KeyStatus,
  keyStatus,
  RETIRE_GRACE_MS,
  type RotationProgress,
  type RotationResult,
  rotateMasterKey,
} from './rotation.ts';
export { constantTimeEqual, digestToken, leadingZeroBits, randomString, randomToken } from './secrets.ts';
export { selfSignedCertificate } from './self-signed.ts';
export { fileShredLog, memoryShredLog, type ShredLog } from './shred-log.ts';
export {
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_TYPE,
  CLOCK_SKEW_SECONDS,
  MAX_ACCESS_TOKEN_TTL_SECONDS,
  MAX_TOKEN_BYTES,
  type PublicSigningKey,
  SIGNING_ALG,
  SIGNING_KEY_GRACE_SECONDS,
  SIGNING_KEY_MAX_AGE_DAYS,
  type TokenClaims,
  TokenSigner,
  type TokenSignerDeps,
  type VerifiedClaims,
} from './token-signer.ts';
export { VaultErrors } from './vault.errors.ts';
export {
  type Actor,
  type ProtectedField,
  type RevealGrant,
  type RevealHooks,
  type RevealRequest,
  type StoredField,
  type TagPurpose,
  Vault,
} from './vault.service.ts';
