import fs from 'node:fs';
import zlib from 'node:zlib';
import { commonPasswordKey } from '../../vault/password-hasher.ts';
import { normalisePassword } from './normalise.ts';

/** Built by scripts/build-common-passwords.ts; the format is described there. */
const LIST_FILE = new URL('./common-passwords.bin.br', import.meta.url);
const HEADER_BYTES = 10;

let keys: Float64Array | null = null;

/**
 * Decodes the bundled list into a sorted array of 48-bit keys (exact in a double), about 3.8 MB,
 * once per process. A file that does not decode to exactly the count it declares, strictly
 * ascending, throws: a truncated list would silently let breached passwords through.
 */
function load(): Float64Array {
  const bytes = zlib.brotliDecompressSync(fs.readFileSync(LIST_FILE));
  if (bytes.toString('latin1', 0, 4) !== 'BWCP' || bytes[4] !== 1 || bytes[5] !== 6) {
    throw new Error('the common-password list has an unknown format');
  }
  const count = bytes.readUInt32BE(6);
  const decoded = new Float64Array(count);
  let offset = HEADER_BYTES;
  let previous = 0;
  for (let index = 0; index < count; index += 1) {
    let delta = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[offset];
      offset += 1;
      if (byte === undefined) throw new Error('the common-password list is truncated');
      delta += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 0x80;
    }
    if (delta === 0 && index > 0) throw new Error('the common-password list is not strictly ascending');
    previous += delta;
    decoded[index] = previous;
  }
  if (offset !== bytes.length) throw new Error('the common-password list has trailing bytes');
  return decoded;
}

function sortedKeys(): Float64Array {
  keys ??= load();
  return keys;
}

/**
 * Whether a password, folded with NFKC and lower case, is among the 474,743 passwords of 8 to 128
 * characters in the xato.net / SecLists top-million list. One SHA-256 and a binary search (19 steps):
 * a few microseconds once the list is loaded. False positives: under 2 in a billion random passwords.
 */
export function isCommonPassword(password: string): boolean {
  const list = sortedKeys();
  const key = commonPasswordKey(normalisePassword(password));
  let low = 0;
  let high = list.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const candidate = list[middle] as number;
    if (candidate === key) return true;
    if (candidate < key) low = middle + 1;
    else high = middle - 1;
  }
  return false;
}

/** How many passwords the bundled list holds (loads it). */
export function commonPasswordCount(): number {
  return sortedKeys().length;
}
