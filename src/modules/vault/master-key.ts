import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/index.ts';
import { VaultErrors } from './vault.errors.ts';

/**
 * Holds the key-encryption key. The local provider keeps it in memory; a KMS provider (AWS KMS, Google
 * Cloud KMS, Vault Transit) implements the same three calls remotely and never exposes the key.
 */
export interface MasterKeyProvider {
  /** Names the key version, stored beside every wrapped data key. */
  readonly keyId: string;
  wrap(dataKey: Buffer, context: string): string;
  unwrap(wrapped: string, context: string): Buffer;
  /** A subkey for one purpose (blind indexes), derived with HKDF so it never equals the master key. */
  deriveSubkey(purpose: string): Buffer;
}

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class LocalMasterKeyProvider implements MasterKeyProvider {
  readonly keyId: string;
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('the master key must be 32 bytes');
    this.#key = Buffer.from(key);
    this.keyId = `local-${createHash('sha256').update('bulwark key id').update(key).digest('hex').slice(0, 12)}`;
  }

  wrap(dataKey: Buffer, context: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
    return `${nonce.toString('base64url')}.${body.toString('base64url')}`;
  }

  unwrap(wrapped: string, context: string): Buffer {
    const [nonce, body] = wrapped.split('.');
    if (!nonce || !body) throw VaultErrors.VAULT_DECRYPTION_FAILED('a wrapped data key is malformed');
    const bytes = Buffer.from(body, 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(nonce, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]);
    } catch (cause) {
      throw VaultErrors.VAULT_DECRYPTION_FAILED('a data key could not be unwrapped', { cause });
    }
  }

  deriveSubkey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#key, Buffer.alloc(0), `bulwark ${purpose}`, 32));
  }

  toJSON(): string {
    return `[master key ${this.keyId}]`;
  }
}

export interface MasterKeySource {
  readonly provider: MasterKeyProvider;
  /** Set when the key was generated into the data directory on this start. */
  readonly generatedFile: string | null;
  readonly file: string | null;
}

/**
 * The master key comes from BULWARK_MASTER_KEY, or from `master.key` in the data directory, generated on
 * first start with mode 0600. The caller warns that a key file beside the database is for development.
 */
export function loadMasterKey(config: Config): MasterKeySource {
  if (config.masterKey) {
    const provider = new LocalMasterKeyProvider(Buffer.from(config.masterKey.reveal(), 'base64'));
    return { provider, generatedFile: null, file: null };
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
  const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  return { provider: new LocalMasterKeyProvider(key), generatedFile, file };
}

/** A throwaway in-memory master key, for tests and for tools that must not touch the data directory. */
export function ephemeralMasterKey(): MasterKeyProvider {
  return new LocalMasterKeyProvider(randomBytes(32));
}
