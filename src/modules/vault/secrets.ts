import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/** A bearer secret with 256 bits from the CSPRNG, prefixed so leaked tokens are recognisable by scanners. */
export function randomToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/** Tokens are stored only as SHA-256 digests: they are high-entropy, so no slow hash is needed. */
export function digestToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}

export function hmac(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('base64url');
}

export function randomDataKey(): Buffer {
  return randomBytes(32);
}

/** `length` characters drawn uniformly from `alphabet` with the CSPRNG (no modulo bias). */
export function randomString(alphabet: string, length: number): string {
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
}

/**
 * Leading zero bits of SHA-256(value): the work a hashcash-style proof shows (each bit doubles the
 * expected number of tries). Verifying costs one hash.
 */
export function leadingZeroBits(value: string): number {
  const digest = createHash('sha256').update(value, 'utf8').digest();
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    bits += Math.clz32(byte) - 24;
    break;
  }
  return bits;
}
