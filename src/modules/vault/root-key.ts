import { hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/index.ts';

/**
 * The root of the key hierarchy: it wraps the master key versions and derives the blind-index key. It
 * comes from BULWARK_MASTER_KEY (production) or from `master.key` in the data directory, generated on
 * first start with mode 0600 (development only: production refuses to start without the variable).
 */
export class RootKey {
  readonly #key: Buffer;
  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('the root key must be 32 bytes');
    this.#key = Buffer.from(key);
  }
  /** A subkey for one purpose, derived with HKDF-SHA-256, so no two purposes share key material. */
  derive(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#key, Buffer.alloc(0), `bulwark ${purpose}`, 32));
  }
  toJSON(): string {
    return '[root key]';
  }
}

export interface RootKeySource {
  readonly root: RootKey;
  /** Set when the key file was generated on this start. */
  readonly generatedFile: string | null;
}

export function loadRootKey(config: Config): RootKeySource {
  if (config.masterKey) {
    return { root: new RootKey(Buffer.from(config.masterKey.reveal(), 'base64')), generatedFile: null };
  }
  const file = path.join(config.dataDir, 'master.key');
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  let generatedFile: string | null = null;
  try {
    fs.writeFileSync(file, randomBytes(32).toString('base64'), { flag: 'wx', mode: 0o600 });
    generatedFile = file;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return { root: new RootKey(Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64')), generatedFile };
}

/** A throwaway root key, for tests. */
export function ephemeralRootKey(): RootKey {
  return new RootKey(randomBytes(32));
}
