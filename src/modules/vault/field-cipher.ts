import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { VaultErrors } from './vault.errors.ts';

/**
 * Where a ciphertext belongs. It is bound into the associated data, so a value copied to another row,
 * column or table fails to decrypt instead of showing one person's data as another's.
 */
export interface FieldRef {
  readonly table: string;
  readonly column: string;
  readonly rowId: string;
}

const VERSION = 'bw1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

function associatedData(ref: FieldRef, keyId: string): Buffer {
  return Buffer.from([VERSION, ref.table, ref.column, ref.rowId, keyId].join('\u0000'), 'utf8');
}

/** AES-256-GCM with a random 96-bit nonce: `bw1.<keyId>.<nonce>.<ciphertext+tag>`. */
export function sealField(key: Buffer, keyId: string, ref: FieldRef, plaintext: string): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(associatedData(ref, keyId));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${keyId}.${nonce.toString('base64url')}.${body.toString('base64url')}`;
}

export interface ParsedCiphertext {
  readonly keyId: string;
  readonly nonce: Buffer;
  readonly body: Buffer;
}

export function parseCiphertext(value: string): ParsedCiphertext {
  const parts = value.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION || !parts[1] || !parts[2] || !parts[3]) {
    throw VaultErrors.VAULT_DECRYPTION_FAILED('a protected field has an unknown format');
  }
  const nonce = Buffer.from(parts[2], 'base64url');
  const body = Buffer.from(parts[3], 'base64url');
  if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) {
    throw VaultErrors.VAULT_DECRYPTION_FAILED('a protected field is truncated');
  }
  return { keyId: parts[1], nonce, body };
}

export function openField(key: Buffer, ref: FieldRef, parsed: ParsedCiphertext): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, parsed.nonce);
    decipher.setAAD(associatedData(ref, parsed.keyId));
    decipher.setAuthTag(parsed.body.subarray(parsed.body.length - TAG_BYTES));
    const plain = Buffer.concat([
      decipher.update(parsed.body.subarray(0, parsed.body.length - TAG_BYTES)),
      decipher.final(),
    ]);
    return plain.toString('utf8');
  } catch (cause) {
    throw VaultErrors.VAULT_DECRYPTION_FAILED('a protected field failed authentication', { cause });
  }
}
