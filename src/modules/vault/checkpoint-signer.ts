import {
  CompactSign,
  type CryptoKey,
  calculateJwkThumbprint,
  compactVerify,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose';
import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import { decode, encode, open, seal } from './aead.ts';
import type { RootKey } from './root-key.ts';

/** Ed25519 keys that sign trail checkpoints. The private half is sealed under a key derived from the root. */
export interface TrailKeysTable {
  kid: string;
  publicJwk: string;
  privateEnc: string;
  createdAt: Date;
}

type KeysDb = Kysely<{ vaultTrailKeys: TrailKeysTable }>;

/** A public checkpoint key, as written beside checkpoints so an archive verifies on its own. */
export interface CheckpointPublicKey {
  readonly kid: string;
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
}

const ALG = 'EdDSA';
const TYP = 'bulwark-trail-checkpoint';

/**
 * Signs trail checkpoints (compact JWS, EdDSA) and decides which keys to trust. A key is trusted only when
 * its private half opens under the root key and matches its public half: someone who can write to the
 * database, but does not hold the root key, cannot add a key of their own and re-sign a rewritten trail.
 *
 * WARNING: on the embedded engine do not call these inside a transaction: they read the key table
 * through the root handle.
 */
export class CheckpointSigner {
  readonly #db: KeysDb;
  readonly #clock: Clock;
  readonly #sealKey: Buffer;
  #signing: { kid: string; key: CryptoKey } | null = null;
  #trusted = new Map<string, { key: CryptoKey; jwk: CheckpointPublicKey }>();

  constructor(deps: { db: AnyDb; root: RootKey; clock: Clock }) {
    this.#db = deps.db as KeysDb;
    this.#clock = deps.clock;
    this.#sealKey = deps.root.derive('trail checkpoint keys v1');
  }

  /** Signs `payload` (a JSON object) with the current key, making one on first use. */
  async sign(payload: Record<string, unknown>): Promise<{ kid: string; jws: string }> {
    const { kid, key } = this.#signing ?? (await this.#loadOrCreate());
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: ALG, kid, typ: TYP })
      .sign(key);
    return { kid, jws };
  }

  /** The payload of a JWS signed by a trusted key (or one of `extraKeys` when given), else null. */
  async verify(
    jws: string,
    extraKeys: readonly CheckpointPublicKey[] = [],
  ): Promise<Record<string, unknown> | null> {
    try {
      if (this.#trusted.size === 0) await this.trustedKeys();
      const { payload } = await compactVerify(jws, async (header) => {
        if (header.alg !== ALG || header.typ !== TYP || typeof header.kid !== 'string')
          throw new Error('header');
        const known = this.#trusted.get(header.kid);
        if (known) return known.key;
        return keyFor(header, extraKeys);
      });
      return JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    } catch {
      return null;
    }
  }

  /** Every stored key whose private half opens under the root key and matches its public half. */
  async trustedKeys(): Promise<CheckpointPublicKey[]> {
    const rows = await this.#db.selectFrom('vaultTrailKeys').selectAll().execute();
    const trusted = new Map<string, { key: CryptoKey; jwk: CheckpointPublicKey }>();
    for (const row of rows) {
      const checked = await this.#check(row).catch(() => null);
      if (checked) trusted.set(row.kid, { key: checked.publicKey, jwk: checked.jwk });
    }
    this.#trusted = trusted;
    return [...trusted.values()].map((entry) => entry.jwk);
  }

  async #check(row: TrailKeysTable) {
    const sealed = decode(row.privateEnc);
    if (!sealed) return null;
    const bytes = open(this.#sealKey, sealed, aad(row.kid));
    try {
      const jwk = JSON.parse(bytes.toString('utf8')) as JWK;
      const stored = JSON.parse(row.publicJwk) as CheckpointPublicKey;
      if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || jwk.x !== stored.x) return null;
      if ((await thumbprint(stored)) !== row.kid) return null;
      const publicKey = (await importJWK({ kty: 'OKP', crv: 'Ed25519', x: stored.x }, ALG)) as CryptoKey;
      const privateKey = (await importJWK(jwk, ALG, { extractable: false })) as CryptoKey;
      return {
        publicKey,
        privateKey,
        jwk: { kid: row.kid, kty: 'OKP', crv: 'Ed25519', x: stored.x } as const,
      };
    } finally {
      bytes.fill(0);
    }
  }

  async #loadOrCreate(): Promise<{ kid: string; key: CryptoKey }> {
    const rows = await this.#db
      .selectFrom('vaultTrailKeys')
      .selectAll()
      .orderBy('createdAt', 'desc')
      .execute();
    for (const row of rows) {
      const checked = await this.#check(row).catch(() => null);
      if (checked) {
        this.#signing = { kid: row.kid, key: checked.privateKey };
        return this.#signing;
      }
    }
    const { publicKey, privateKey } = await generateKeyPair(ALG, { crv: 'Ed25519', extractable: true });
    const { x } = await exportJWK(publicKey);
    const jwk = { kty: 'OKP', crv: 'Ed25519', x } as CheckpointPublicKey & { kid?: string };
    const kid = await thumbprint(jwk);
    const privateJwk = Buffer.from(JSON.stringify(await exportJWK(privateKey)), 'utf8');
    try {
      await this.#db
        .insertInto('vaultTrailKeys')
        .values({
          kid,
          publicJwk: JSON.stringify({ kid, kty: 'OKP', crv: 'Ed25519', x }),
          privateEnc: encode(seal(this.#sealKey, privateJwk, aad(kid))),
          createdAt: this.#clock.now(),
        })
        .execute();
    } finally {
      privateJwk.fill(0);
    }
    this.#trusted.clear();
    // Re-read: when two nodes made a key at once, each signs with its own; both are trusted.
    return this.#loadOrCreate();
  }
}

async function keyFor(header: { kid?: string }, keys: readonly CheckpointPublicKey[]): Promise<CryptoKey> {
  const key = keys.find((k) => k.kid === header.kid);
  if (!key || (await thumbprint(key)) !== key.kid) throw new Error('unknown kid');
  return (await importJWK({ kty: 'OKP', crv: 'Ed25519', x: key.x }, ALG)) as CryptoKey;
}

/**
 * The payload of a checkpoint JWS signed by one of `keys` (public keys the caller trusts, e.g. pinned kids
 * of an archive), else null. Needs no database: archives verify on their own.
 */
export async function verifyCheckpointJws(
  jws: string,
  keys: readonly CheckpointPublicKey[],
): Promise<Record<string, unknown> | null> {
  try {
    const { payload } = await compactVerify(jws, async (header) => {
      if (header.alg !== ALG || header.typ !== TYP) throw new Error('header');
      return keyFor(header, keys);
    });
    return JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function aad(kid: string): Buffer {
  return Buffer.from(`bulwark trail checkpoint key\u0000${kid}`, 'utf8');
}

function thumbprint(key: { kty: string; crv: string; x: string }): Promise<string> {
  return calculateJwkThumbprint({ kty: key.kty, crv: key.crv, x: key.x } as JWK);
}
