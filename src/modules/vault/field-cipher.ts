import { decode, encode, open, seal } from './aead.ts';

/**
 * Where a ciphertext belongs. It is bound into the associated data, so a value copied to another row,
 * column or table fails to decrypt instead of showing one person's data as another's.
 */
export interface FieldRef {
  readonly table: string;
  readonly column: string;
  readonly rowId: string;
}

/** Format version of field ciphertexts: `bw1.<dataKeyId>.<nonce>.<ciphertext+tag>`. */
const FORMAT = 'bw1';

function associatedData(ref: FieldRef, keyId: string): Buffer {
  return Buffer.from([FORMAT, ref.table, ref.column, ref.rowId, keyId].join('\u0000'), 'utf8');
}

export function sealField(key: Buffer, keyId: string, ref: FieldRef, plaintext: string): string {
  return `${FORMAT}.${keyId}.${encode(seal(key, Buffer.from(plaintext, 'utf8'), associatedData(ref, keyId)))}`;
}

/** The data key ID a ciphertext names, or null when it is not a field ciphertext at all. */
export function keyIdOf(ciphertext: string): string | null {
  const [format, keyId] = ciphertext.split('.');
  return format === FORMAT && keyId ? keyId : null;
}

/** The plaintext, or null when anything about the ciphertext, its place or its key is wrong. */
export function openField(key: Buffer, ref: FieldRef, ciphertext: string): string | null {
  const [format, keyId, ...rest] = ciphertext.split('.');
  const sealed = decode(rest.join('.'));
  if (format !== FORMAT || !keyId || !sealed) return null;
  try {
    return open(key, sealed, associatedData(ref, keyId)).toString('utf8');
  } catch {
    return null;
  }
}
