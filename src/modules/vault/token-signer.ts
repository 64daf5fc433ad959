import { randomBytes } from 'node:crypto';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import type { Config } from '../../config/index.ts';
import type { Clock } from '../../platform/clock.ts';
import { type AnyDb, isUniqueViolation } from '../../platform/db/index.ts';
import type { MasterKeyProvider } from './keyring.ts';
import {
  findActiveKey,
  insertActiveKey,
  listVerifyingKeys,
  replacePrivateWrapping,
  type SigningKeyRow,
  type SigningKeysDb,
  supersedeKey,
} from './signing-keys.repository.ts';
import { VaultErrors } from './vault.errors.ts';

/** The one algorithm tokens are signed and verified with: Ed25519 (EdDSA). Nothing else is accepted. */
export const SIGNING_ALG = 'EdDSA';
export const ACCESS_TOKEN_AUDIENCE = 'bulwark-api';
/** RFC 9068 header type, so an ID token or any other JWT cannot pass for an access token. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 900;
export const CLOCK_SKEW_SECONDS = 5;
/** Longer tokens are refused before any parsing (and never issued). */
export const MAX_TOKEN_BYTES = 4096;
/** The active key is replaced once it is this old (checked at start and on every refresh). */
export const SIGNING_KEY_MAX_AGE_DAYS = 30;

// Every node re-reads the key set this often (a background timer), so a rotation elsewhere is seen in time.
const REFRESH_MS = 5_000;
// A key set older than this is re-read before use (timer not running, or failing).
const STALE_MS = 3 * REFRESH_MS;
// An unknown kid re-reads the key set at most this often: random kids cannot hammer the database.
const MISS_RELOAD_MS = 1_000;
/**
 * A superseded key keeps verifying for the longest token life, the clock skew, and the time another node
 * may keep signing with it before it sees the rotation; after that it verifies nothing.
 */
export const SIGNING_KEY_GRACE_SECONDS = MAX_ACCESS_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS + STALE_MS / 1000;

const RESERVED_CLAIMS = ['iss', 'aud', 'iat', 'nbf', 'exp', 'jti'] as const;
// A kid is the key's RFC 7638 thumbprint (SHA-256, base64url): anything else is refused before any look-up.
const KID_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const DAY_MS = 86_400_000;

/** Claims the caller chooses; the signer adds iss, aud, iat, nbf, exp and jti. */
export interface TokenClaims {
  readonly sub: string;
  readonly sid: string;
  readonly kind: string;
  readonly [claim: string]: string | number;
}

export interface VerifiedClaims extends TokenClaims {
  readonly iss: string;
  readonly aud: string;
  readonly jti: string;
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
}

/** A public signing key as published in the JWK set. */
export interface PublicSigningKey {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
  readonly kid: string;
  readonly alg: typeof SIGNING_ALG;
  readonly use: 'sig';
}

export interface TokenSignerDeps {
  /** The root handle: the signer reads and rotates keys in its own short queries, never in a caller's transaction. */
  readonly db: AnyDb;
  readonly provider: MasterKeyProvider;
  readonly clock: Clock;
  readonly config: Pick<Config, 'publicUrl'>;
}

interface VerifyingKey {
  readonly key: CryptoKey;
  readonly jwk: PublicSigningKey;
  readonly retiresAt: number | null;
}

/**
 * Signs and verifies short-lived access tokens (JWT, RFC 9068 profile) with rotating Ed25519 keys. The
 * active key's private half is stored wrapped by the master keyring and bound to its kid; public keys are
 * in the clear. Keys are cached per node: the set is re-read every few seconds, and an unknown kid re-reads
 * it at once (at most once a second), so a key made by another node verifies here too.
 *
 * WARNING: on the embedded engine, do not call `sign`, `verify` or `rotateSigningKey` inside a transaction:
 * they may read the key table through the root handle, which waits for that transaction (deadlock).
 */
export class TokenSigner {
  readonly #db: SigningKeysDb;
  readonly #deps: TokenSignerDeps;
  #keys = new Map<string, VerifyingKey>();
  #active: SigningKeyRow | null = null;
  #signing: { readonly kid: string; readonly key: CryptoKey } | null = null;
  #loadedAt = Number.NEGATIVE_INFINITY;
  #missReloadAt = Number.NEGATIVE_INFINITY;
  #reloading: Promise<void> | null = null;
  #refreshing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(deps: TokenSignerDeps) {
    this.#deps = deps;
    this.#db = deps.db as SigningKeysDb;
  }

  /**
   * Makes sure an active key exists (and is not too old), then keeps the key set fresh in the background.
   * Run after migrations and the keyring's `initialise`, outside any transaction.
   */
  async initialise(): Promise<void> {
    await this.#refresh();
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      // A failed background refresh is retried on the next tick; a key set left stale past STALE_MS is
      // re-read in the request path, where a failure is seen.
      this.#refresh().catch(() => {});
    }, REFRESH_MS);
    this.#timer.unref();
  }

  /** Stops the background refresh and waits for one in flight (before the database closes). */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#refreshing?.catch(() => {});
  }

  async sign(claims: TokenClaims, ttlSeconds: number): Promise<string> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_ACCESS_TOKEN_TTL_SECONDS) {
      throw new RangeError(`an access token lives 1 to ${MAX_ACCESS_TOKEN_TTL_SECONDS} seconds`);
    }
    for (const name of RESERVED_CLAIMS) {
      if (name in claims) throw new Error(`the ${name} claim is set by the signer`);
    }
    if (!claims.sub || !claims.sid || !claims.kind) throw new Error('sub, sid and kind are required');
    const { kid, key } = await this.#signingKey();
    const now = Math.floor(this.#deps.clock.now().getTime() / 1000);
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: SIGNING_ALG, kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(this.#deps.config.publicUrl)
      .setAudience(ACCESS_TOKEN_AUDIENCE)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttlSeconds)
      .setJti(randomBytes(16).toString('base64url'))
      .sign(key);
    if (token.length > MAX_TOKEN_BYTES) throw new RangeError('the claims make the token too large');
    return token;
  }

  /** The token's claims when it is a valid, current access token signed by a live key; otherwise null. */
  async verify(token: string): Promise<VerifiedClaims | null> {
    // Size first: nothing is decoded, parsed or looked up for an oversized or non-compact token.
    if (typeof token !== 'string' || token.length > MAX_TOKEN_BYTES || !COMPACT_JWS.test(token)) return null;
    // Base64url decoders ignore a final character's unused bits, so `…A` and `…B` can carry the same
    // signature: only the canonical spelling of each part is accepted, making every token one string.
    if (!token.split('.').every(isCanonicalBase64url)) return null;
    try {
      await this.#fresh();
      const now = this.#deps.clock.now();
      const { payload } = await jwtVerify(token, (header) => this.#verificationKey(header, now), {
        // Pinned: alg none, HS256 with the public key as the secret, or any other algorithm fails here,
        // before a key is even chosen.
        algorithms: [SIGNING_ALG],
        issuer: this.#deps.config.publicUrl,
        audience: ACCESS_TOKEN_AUDIENCE,
        typ: ACCESS_TOKEN_TYPE,
        clockTolerance: CLOCK_SKEW_SECONDS,
        maxTokenAge: MAX_ACCESS_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS,
        currentDate: now,
        requiredClaims: ['iss', 'aud', 'iat', 'nbf', 'exp', 'jti', 'sub', 'sid', 'kind'],
      });
      return claimsOf(payload);
    } catch {
      return null;
    }
  }

  /** Public keys that may still verify tokens, for `/.well-known/jwks.json`. */
  async jwks(): Promise<{ keys: PublicSigningKey[] }> {
    await this.#fresh();
    const now = this.#deps.clock.now().getTime();
    const live = [...this.#keys.values()].filter((k) => k.retiresAt === null || now < k.retiresAt);
    return { keys: live.map((k) => ({ ...k.jwk })) };
  }

  /**
   * A new key becomes the signing key at once; the previous one loses its private key and verifies until
   * SIGNING_KEY_GRACE_SECONDS from now. Returns the new kid.
   */
  async rotateSigningKey(): Promise<string> {
    // Two rotations at once: the unique index on the active key lets one win; the other tries again.
    for (let attempt = 0; ; attempt += 1) {
      const kid = await this.#rotate(undefined).catch((error: unknown) => {
        if (attempt < 2 && isUniqueViolation(error)) return null;
        throw error;
      });
      if (kid) return kid;
    }
  }

  /**
   * Rotates when the active key is `ifActive` (null: when there is none), so nodes racing to replace the
   * same old key make one new key. Returns the new kid, or null when another rotation got there first.
   */
  async #rotate(ifActive: string | null | undefined): Promise<string | null> {
    const fresh = await newKeyPair();
    const now = this.#deps.clock.now();
    const { provider } = this.#deps;
    let kid: string | null;
    try {
      kid = await this.#db.transaction().execute(async (trx) => {
        const active = await findActiveKey(trx, true);
        if (ifActive !== undefined && (active?.kid ?? null) !== ifActive) return null;
        if (active) {
          await supersedeKey(trx, active.kid, new Date(now.getTime() + SIGNING_KEY_GRACE_SECONDS * 1000));
        }
        const version = await provider.activeVersion(trx);
        await insertActiveKey(trx, {
          kid: fresh.kid,
          alg: SIGNING_ALG,
          publicJwk: JSON.stringify(fresh.publicJwk),
          privateEnc: await provider.wrap(trx, version, fresh.privateJwk, wrapContext(fresh.kid)),
          masterVersion: version,
          activatedAt: now,
        });
        return fresh.kid;
      });
    } finally {
      fresh.privateJwk.fill(0);
    }
    await this.#reloadAfterWrite();
    if (kid && this.#active?.kid === kid) this.#signing = { kid, key: fresh.privateKey };
    return kid;
  }

  async #signingKey(): Promise<{ kid: string; key: CryptoKey }> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await this.#fresh();
      const active = this.#active;
      if (!active) {
        await this.#rotate(null).catch(ignoreUniqueViolation);
        continue;
      }
      if (this.#signing?.kid === active.kid) return this.#signing;
      const key = await this.#openPrivateKey(active);
      if (key) {
        this.#signing = { kid: active.kid, key };
        return this.#signing;
      }
      // Its wrapping master key version was retired (a master key rotation ran while no node held this
      // private key in memory): a new signing key replaces it; tokens signed with the old one still verify.
      await this.#rotate(active.kid).catch(ignoreUniqueViolation);
    }
    throw VaultErrors.VAULT_KEY_NOT_FOUND('no usable access-token signing key');
  }

  /** The private key, or null when its master key version is retired; any other failure throws. */
  async #openPrivateKey(row: SigningKeyRow): Promise<CryptoKey | null> {
    const { provider } = this.#deps;
    if (row.privateEnc === null || row.masterVersion === null) return null;
    let bytes: Buffer;
    try {
      bytes = await provider.unwrap(this.#deps.db, row.masterVersion, row.privateEnc, wrapContext(row.kid));
    } catch (cause) {
      const version = (await provider.versions(this.#deps.db)).find((v) => v.version === row.masterVersion);
      // A wrong root key or a tampered row is not a reason to replace the key: fail closed.
      if (version && !version.retiredAt) throw cause;
      return null;
    }
    try {
      const jwk = JSON.parse(bytes.toString('utf8')) as JWK;
      if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string')
        throw new Error('not Ed25519');
      // Imported non-extractable: the private key cannot be exported from this process's memory again.
      return (await importJWK(jwk, SIGNING_ALG, { extractable: false })) as CryptoKey;
    } finally {
      bytes.fill(0);
    }
  }

  async #verificationKey(header: JWTHeaderParameters, now: Date): Promise<CryptoKey> {
    const { kid } = header;
    // Keys embedded in or referenced by the token are never used, and are not welcome either.
    if ('jwk' in header || 'jku' in header || 'x5u' in header || 'x5c' in header)
      throw new Error('key in header');
    if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) throw new Error('bad kid');
    let entry = this.#keys.get(kid);
    if (!entry && performance.now() - this.#missReloadAt >= MISS_RELOAD_MS) {
      this.#missReloadAt = performance.now();
      await this.#reload();
      entry = this.#keys.get(kid);
    }
    if (!entry) throw new Error('unknown kid');
    if (entry.retiresAt !== null && now.getTime() >= entry.retiresAt) throw new Error('retired key');
    return entry.key;
  }

  async #fresh(): Promise<void> {
    const age = performance.now() - this.#loadedAt;
    if (age > (this.#timer ? STALE_MS : REFRESH_MS)) await this.#refresh();
  }

  /** Re-reads the keys, creates the first one, replaces an old one, re-wraps after a master key rotation. */
  #refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        await this.#reload();
        const active = this.#active;
        if (!active) {
          await this.#rotate(null).catch(ignoreUniqueViolation);
        } else if (
          this.#deps.clock.now().getTime() - active.activatedAt.getTime() >=
          SIGNING_KEY_MAX_AGE_DAYS * DAY_MS
        ) {
          await this.#rotate(active.kid).catch(ignoreUniqueViolation);
        } else {
          await this.#rewrap(active);
        }
      } finally {
        this.#refreshing = null;
      }
    })();
    return this.#refreshing;
  }

  /**
   * Moves the active private key to the keyring's active version, so retiring the old master key version
   * (after its grace period) does not take the signing key with it.
   */
  async #rewrap(row: SigningKeyRow): Promise<void> {
    const { provider } = this.#deps;
    if (row.privateEnc === null || row.masterVersion === null) return;
    const version = await provider.activeVersion(this.#deps.db);
    if (version === row.masterVersion) return;
    const context = wrapContext(row.kid);
    // Unreadable (its version already retired, say): signing finds out and deals with it, not the refresh.
    const bytes = await provider
      .unwrap(this.#deps.db, row.masterVersion, row.privateEnc, context)
      .catch(() => null);
    if (!bytes) return;
    try {
      const wrapped = await provider.wrap(this.#deps.db, version, bytes, context);
      if (await replacePrivateWrapping(this.#db, row, wrapped, version)) await this.#reloadAfterWrite();
    } finally {
      bytes.fill(0);
    }
  }

  /** A read that sees this node's own write: one already in flight may have started before it. */
  async #reloadAfterWrite(): Promise<void> {
    await this.#reloading?.catch(() => {});
    await this.#reload();
  }

  #reload(): Promise<void> {
    this.#reloading ??= (async () => {
      try {
        const rows = await listVerifyingKeys(this.#db, this.#deps.clock.now());
        const keys = new Map<string, VerifyingKey>();
        for (const row of rows) {
          const retiresAt = row.retiresAt?.getTime() ?? null;
          const known = this.#keys.get(row.kid);
          if (known) {
            keys.set(row.kid, { ...known, retiresAt });
            continue;
          }
          const imported = await importPublicKey(row);
          if (imported) keys.set(row.kid, { ...imported, retiresAt });
        }
        this.#keys = keys;
        this.#active = rows.find((row) => row.retiresAt === null && keys.has(row.kid)) ?? null;
        if (this.#signing && this.#signing.kid !== this.#active?.kid) this.#signing = null;
        this.#loadedAt = performance.now();
      } finally {
        this.#reloading = null;
      }
    })();
    return this.#reloading;
  }
}

/** Associated data for a wrapped private key: it opens only as the signing key with this kid. */
function wrapContext(kid: string): string {
  return `bulwark signing key\u0000${SIGNING_ALG}\u0000${kid}`;
}

async function newKeyPair() {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519', extractable: true });
  const { kty, crv, x } = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint({ kty, crv, x } as JWK);
  const publicJwk: PublicSigningKey = { kty, crv, x, kid, alg: SIGNING_ALG, use: 'sig' } as PublicSigningKey;
  const privateJwk = Buffer.from(JSON.stringify(await exportJWK(privateKey)), 'utf8');
  // The extractable key object is dropped; the one kept for signing is a non-extractable import.
  const signing = (await importJWK(JSON.parse(privateJwk.toString('utf8')) as JWK, SIGNING_ALG, {
    extractable: false,
  })) as CryptoKey;
  return { kid, publicJwk, privateJwk, privateKey: signing };
}

/** A stored public key, or null when the row is not an Ed25519 key whose kid is its thumbprint. */
async function importPublicKey(row: SigningKeyRow): Promise<Omit<VerifyingKey, 'retiresAt'> | null> {
  if (row.alg !== SIGNING_ALG) return null;
  try {
    const stored = JSON.parse(row.publicJwk) as JWK;
    if (stored.kty !== 'OKP' || stored.crv !== 'Ed25519' || typeof stored.x !== 'string' || 'd' in stored) {
      return null;
    }
    const core = { kty: stored.kty, crv: stored.crv, x: stored.x } as JWK;
    if ((await calculateJwkThumbprint(core)) !== row.kid) return null;
    const jwk = { ...core, kid: row.kid, alg: SIGNING_ALG, use: 'sig' } as PublicSigningKey;
    return { key: (await importJWK(core, SIGNING_ALG)) as CryptoKey, jwk };
  } catch {
    return null;
  }
}

function claimsOf(payload: JWTPayload): VerifiedClaims | null {
  const { sub, sid, kind, jti, iss, aud, iat, nbf, exp } = payload as Record<string, unknown>;
  const text = (value: unknown) => typeof value === 'string' && value.length > 0;
  if (!text(sub) || !text(sid) || !text(kind) || !text(jti) || !text(iss)) return null;
  // Exactly our audience, not an array that merely contains it.
  if (aud !== ACCESS_TOKEN_AUDIENCE) return null;
  if (typeof iat !== 'number' || typeof nbf !== 'number' || typeof exp !== 'number') return null;
  // Nothing we sign lives longer than the maximum, whatever a stolen key might try.
  if (exp - iat > MAX_ACCESS_TOKEN_TTL_SECONDS || nbf > exp) return null;
  for (const value of Object.values(payload)) {
    if (typeof value !== 'string' && typeof value !== 'number') return null;
  }
  return payload as VerifiedClaims;
}

function isCanonicalBase64url(part: string): boolean {
  return Buffer.from(part, 'base64url').toString('base64url') === part;
}

function ignoreUniqueViolation(error: unknown): null {
  // Another node made the key at the same moment; the next read finds it.
  if (isUniqueViolation(error)) return null;
  throw error;
}
