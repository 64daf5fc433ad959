import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface Sealed {
  readonly nonce: Buffer;
  /** Ciphertext followed by the 16-byte GCM tag. */
  readonly body: Buffer;
}

/** AES-256-GCM with a fresh random 96-bit nonce; `aad` binds the result to where it belongs. */
export function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Sealed {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  return { nonce, body: Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]) };
}

/** Opens a sealed value; throws when the key, the associated data or any bit differs. */
export function open(key: Buffer, sealed: Sealed, aad: Buffer): Buffer {
  if (sealed.nonce.length !== NONCE_BYTES || sealed.body.length < TAG_BYTES) throw new Error('truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.body.subarray(sealed.body.length - TAG_BYTES));
  return Buffer.concat([
    decipher.update(sealed.body.subarray(0, sealed.body.length - TAG_BYTES)),
    decipher.final(),
  ]);
}

export function encode(sealed: Sealed): string {
  return `${sealed.nonce.toString('base64url')}.${sealed.body.toString('base64url')}`;
}

export function decode(value: string): Sealed | null {
  const [nonce, body, extra] = value.split('.');
  if (!nonce || !body || extra !== undefined) return null;
  return { nonce: Buffer.from(nonce, 'base64url'), body: Buffer.from(body, 'base64url') };
}
