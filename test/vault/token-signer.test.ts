import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import Fastify from 'fastify';
import {
  type CryptoKey,
  decodeProtectedHeader,
  exportSPKI,
  generateKeyPair,
  importJWK,
  type JWK,
  UnsecuredJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { createContainer } from '../../src/container.ts';
import {
  ephemeralRootKey,
  MAX_TOKEN_BYTES,
  registerJwksRoute,
  rotateMasterKey,
  SIGNING_KEY_GRACE_SECONDS,
  SIGNING_KEY_MAX_AGE_DAYS,
  TokenSigner,
} from '../../src/modules/vault/index.ts';
import type { Clock } from '../../src/platform/clock.ts';
import type { App } from '../../src/platform/http/app-types.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { createPostgresDatabase, engine } from '../helpers/test-database.ts';

const CLAIMS = {
  sub: 'usr_0000000000000000000000000a',
  sid: 'ses_0000000000000000000000000b',
  kind: 'shopper',
};
const encoder = new TextEncoder();
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const partsOf = (token: string) => token.split('.') as [string, string, string];
const kidOf = (token: string) => decodeProtectedHeader(token).kid as string;

/** A clock the test moves by hand, starting at the real time. */
function manualClock(): Clock & { advance(seconds: number): void } {
  let at = Date.now();
  return {
    now: () => new Date(at),
    advance: (seconds: number) => {
      at += seconds * 1000;
    },
  };
}

function signerOver(test: TestApp, clock: Clock, publicUrl = test.config.publicUrl): TokenSigner {
  return new TokenSigner({
    db: test.container.database.db,
    provider: test.container.vault.provider,
    clock,
    config: { publicUrl },
  });
}

/**
 * The active private key, taken the way only someone holding the root key could: read the row and unwrap
 * it through the keyring. Lets the tests forge tokens that are correctly signed but wrong in one respect.
 */
async function takeActiveKey(test: TestApp): Promise<{ kid: string; key: CryptoKey; publicJwk: JWK }> {
  const { db } = test.container.database;
  const row = await db
    .selectFrom('vaultSigningKeys')
    .selectAll()
    .where('retiresAt', 'is', null)
    .executeTakeFirstOrThrow();
  const bytes = await test.container.vault.provider.unwrap(
    db,
    row.masterVersion,
    row.privateEnc,
    `bulwark signing key\u0000EdDSA\u0000${row.kid}`,
  );
  return {
    kid: row.kid,
    key: (await importJWK(JSON.parse(bytes.toString('utf8')) as JWK, 'EdDSA')) as CryptoKey,
    publicJwk: JSON.parse(row.publicJwk) as JWK,
  };
}

interface Forgery {
  header?: Record<string, unknown>;
  payload?: Record<string, unknown>;
  at?: Date;
}

/** A token signed with `key`, exactly as the signer would make it unless `forgery` says otherwise. */
async function forge(test: TestApp, kid: string, key: CryptoKey, forgery: Forgery = {}) {
  const now = Math.floor((forgery.at ?? new Date()).getTime() / 1000);
  const payload: Record<string, unknown> = {
    ...CLAIMS,
    iss: test.config.publicUrl,
    aud: 'bulwark-api',
    iat: now,
    nbf: now,
    exp: now + 300,
    jti: 'forged',
    ...forgery.payload,
  };
  const header: Record<string, unknown> = { alg: 'EdDSA', kid, typ: 'at+jwt', ...forgery.header };
  for (const object of [payload, header]) {
    for (const [name, value] of Object.entries(object)) if (value === undefined) delete object[name];
  }
  // Signed by hand (Ed25519 over the two parts), so no library second-guesses the header being forged.
  const input = `${b64(header)}.${b64(payload)}`;
  const signature = await globalThis.crypto.subtle.sign('Ed25519', key, encoder.encode(input));
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

describe('access tokens', () => {
  let test: TestApp;
  let signer: TokenSigner;
  let stolen: Awaited<ReturnType<typeof takeActiveKey>>;

  beforeAll(async () => {
    test = await createTestApp();
    signer = test.container.signer;
    stolen = await takeActiveKey(test);
  });
  afterAll(async () => {
    await test.close();
  });

  it('signs a token that verifies, with the pinned header and the standard claims', async () => {
    const token = await signer.sign({ ...CLAIMS, amr: 'pwd', level: 1 }, 900);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', kid: stolen.kid, typ: 'at+jwt' });
    const claims = await signer.verify(token);
    expect(claims).toMatchObject({
      ...CLAIMS,
      amr: 'pwd',
      level: 1,
      iss: test.config.publicUrl,
      aud: 'bulwark-api',
    });
    expect(claims?.exp).toBe((claims?.iat ?? 0) + 900);
    expect(claims?.nbf).toBe(claims?.iat);
    expect(claims?.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const again = await signer.verify(await signer.sign(CLAIMS, 60));
    expect(again?.jti).not.toBe(claims?.jti);
  });

  it('the forging helper makes tokens that verify, so each refusal below is for the one thing changed', async () => {
    expect(await signer.verify(await forge(test, stolen.kid, stolen.key))).toMatchObject(CLAIMS);
  });

  it('refuses to sign for longer than 15 minutes, or to let callers set the standard claims', async () => {
    await expect(signer.sign(CLAIMS, 901)).rejects.toThrow(RangeError);
    await expect(signer.sign(CLAIMS, 0)).rejects.toThrow(RangeError);
    await expect(signer.sign({ ...CLAIMS, exp: 9_999_999_999 }, 60)).rejects.toThrow(/exp/);
    await expect(signer.sign({ ...CLAIMS, aud: 'elsewhere' }, 60)).rejects.toThrow(/aud/);
    await expect(signer.sign({ ...CLAIMS, sid: '' }, 60)).rejects.toThrow();
    await expect(signer.sign({ ...CLAIMS, blob: 'x'.repeat(MAX_TOKEN_BYTES) }, 60)).rejects.toThrow(/large/);
  });

  it('refuses unsigned tokens (alg none), with or without a kid and a signature part', async () => {
    const payload = JSON.parse(
      Buffer.from(partsOf(await signer.sign(CLAIMS, 60))[1], 'base64url').toString(),
    );
    const unsecured = new UnsecuredJWT(payload).encode();
    expect(await signer.verify(unsecured)).toBeNull();
    const header = b64({ alg: 'none', kid: stolen.kid, typ: 'at+jwt' });
    expect(await signer.verify(`${header}.${b64(payload)}.`)).toBeNull();
    expect(await signer.verify(`${header}.${b64(payload)}.AAAA`)).toBeNull();
    for (const alg of ['None', 'NONE', 'nOnE']) {
      expect(
        await signer.verify(`${b64({ alg, kid: stolen.kid, typ: 'at+jwt' })}.${b64(payload)}.`),
      ).toBeNull();
    }
  });

  it('refuses HS256 tokens keyed with the public key (algorithm confusion), in every spelling of that key', async () => {
    const [signed] = (await signer.jwks()).keys;
    const publicKey = (await importJWK(stolen.publicJwk, 'EdDSA', { extractable: true })) as CryptoKey;
    const secrets = [
      Buffer.from(stolen.publicJwk.x as string, 'base64url'),
      encoder.encode(stolen.publicJwk.x as string),
      encoder.encode(JSON.stringify(signed)),
      encoder.encode(JSON.stringify(stolen.publicJwk)),
      encoder.encode(await exportSPKI(publicKey)),
    ];
    const payload = partsOf(await forge(test, stolen.kid, stolen.key))[1];
    for (const [alg, hash] of [
      ['HS256', 'sha256'],
      ['HS384', 'sha384'],
      ['HS512', 'sha512'],
    ] as const) {
      const header = b64({ alg, kid: stolen.kid, typ: 'at+jwt' });
      for (const secret of secrets) {
        const mac = createHmac(hash, secret).update(`${header}.${payload}`).digest('base64url');
        expect(await signer.verify(`${header}.${payload}.${mac}`)).toBeNull();
      }
    }
  });

  it('refuses other algorithms even when the real key signed (Ed25519 spelled as a fully-specified alg)', async () => {
    const token = await forge(test, stolen.kid, stolen.key, { header: { alg: 'Ed25519' } });
    expect(await signer.verify(token)).toBeNull();
  });

  it("refuses a token signed by another key that claims the real key's kid", async () => {
    const other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    expect(await signer.verify(await forge(test, stolen.kid, other.privateKey))).toBeNull();
  });

  it('refuses keys offered by the token itself (jwk, jku, x5u) and kids that are unknown or malformed', async () => {
    const other = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const { exportJWK } = await import('jose');
    const jwk = await exportJWK(other.publicKey);
    expect(
      await signer.verify(await forge(test, stolen.kid, other.privateKey, { header: { jwk } })),
    ).toBeNull();
    expect(await signer.verify(await forge(test, stolen.kid, stolen.key, { header: { jwk } }))).toBeNull();
    const jku = 'https://attacker.example/jwks.json';
    expect(await signer.verify(await forge(test, stolen.kid, stolen.key, { header: { jku } }))).toBeNull();
    expect(
      await signer.verify(await forge(test, stolen.kid, stolen.key, { header: { x5u: jku } })),
    ).toBeNull();
    for (const kid of [undefined, '', 'x'.repeat(43), '../../etc/passwd', stolen.kid.toLowerCase(), 42]) {
      if (kid === stolen.kid) continue;
      expect(await signer.verify(await forge(test, 'unused', stolen.key, { header: { kid } }))).toBeNull();
    }
  });

  it('refuses a tampered payload, header or signature', async () => {
    const token = await signer.sign(CLAIMS, 300);
    const [header, payload, signature] = partsOf(token);
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const headerJson = JSON.parse(Buffer.from(header, 'base64url').toString());
    const tampered = [
      `${header}.${b64({ ...claims, sub: 'usr_someoneelse0000000000000' })}.${signature}`,
      `${header}.${b64({ ...claims, exp: claims.exp + 3600 })}.${signature}`,
      `${header}.${b64({ ...claims, kind: 'staff', role: 'admin' })}.${signature}`,
      `${b64({ ...headerJson, typ: 'at+jwt', cty: 'x' })}.${payload}.${signature}`,
      `${b64({ typ: headerJson.typ, kid: headerJson.kid, alg: headerJson.alg })}.${payload}.${signature}`,
      `${header}.${payload}.${Buffer.from(
        Buffer.from(signature, 'base64url').map((byte, i) => (i === 10 ? byte ^ 1 : byte)),
      ).toString('base64url')}`,
      `${header}.${payload}.${signature.slice(0, -2)}`,
      `${header}.${payload}`,
      `${header}.${payload}.${signature}.${signature}`,
      `${header}..${signature}`,
      ` ${token}`,
    ];
    expect(await signer.verify(token)).not.toBeNull();
    for (const bad of tampered) expect(await signer.verify(bad)).toBeNull();
  });

  it('accepts only the canonical spelling of the signature (no second string for the same token)', async () => {
    const token = await signer.sign(CLAIMS, 300);
    const last = token.at(-1) as string;
    // 64 signature bytes fill 85⅓ characters: the last one's low four bits are unused.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const index = alphabet.indexOf(last);
    const sibling = alphabet[(index & ~15) | ((index + 1) & 15)] as string;
    expect(Buffer.from(`${token.slice(0, -1)}${sibling}`.split('.')[2] as string, 'base64url')).toEqual(
      Buffer.from(partsOf(token)[2], 'base64url'),
    );
    expect(await signer.verify(`${token.slice(0, -1)}${sibling}`)).toBeNull();
  });

  it('refuses expired tokens, allowing five seconds of clock skew', async () => {
    const now = Math.floor(Date.now() / 1000);
    const at = (exp: number) => ({ payload: { iat: now - 600, nbf: now - 600, exp } });
    expect(await signer.verify(await forge(test, stolen.kid, stolen.key, at(now - 3)))).not.toBeNull();
    expect(await signer.verify(await forge(test, stolen.kid, stolen.key, at(now - 7)))).toBeNull();
  });

  it('refuses tokens not yet valid, issued in the future, or living longer than 15 minutes', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases = [
      { nbf: now + 60 },
      { iat: now + 60, nbf: now + 60, exp: now + 600 },
      { exp: now + 901 },
      { iat: now - 1000, nbf: now - 1000, exp: now + 60 },
    ];
    for (const payload of cases) {
      expect(await signer.verify(await forge(test, stolen.kid, stolen.key, { payload }))).toBeNull();
    }
  });

  it('refuses the wrong issuer, audience or type, and tokens missing a required claim', async () => {
    const other = signerOver(test, manualClock(), 'https://evil.example');
    expect(await signer.verify(await other.sign(CLAIMS, 60))).toBeNull();
    const forgeries: Forgery[] = [
      { payload: { iss: 'https://evil.example' } },
      { payload: { aud: 'other-api' } },
      { payload: { aud: ['bulwark-api', 'other-api'] } },
      { header: { typ: 'JWT' } },
      { header: { typ: 'id_token+jwt' } },
      { header: { typ: undefined } },
      { header: { crit: ['exp'] } },
      { payload: { sub: undefined } },
      { payload: { sid: undefined } },
      { payload: { kind: undefined } },
      { payload: { jti: undefined } },
      { payload: { exp: undefined } },
      { payload: { sub: 42 } },
      { payload: { sid: '' } },
      { payload: { scope: { admin: true } } },
    ];
    for (const forgery of forgeries) {
      expect(await signer.verify(await forge(test, stolen.kid, stolen.key, forgery))).toBeNull();
    }
  });

  it('refuses oversized and non-token input before parsing it', async () => {
    const token = await signer.sign(CLAIMS, 60);
    const padded = `${partsOf(token)[0]}.${'A'.repeat(MAX_TOKEN_BYTES)}.${partsOf(token)[2]}`;
    for (const input of [padded, 'x'.repeat(1_000_000), '', '...', 'a.b', `${token}\n`, '\u0000']) {
      expect(await signer.verify(input)).toBeNull();
    }
    expect(await signer.verify(undefined as unknown as string)).toBeNull();
  });

  it('random mutations of a valid token never verify and never throw', async () => {
    const token = await signer.sign({ ...CLAIMS, amr: 'pwd' }, 900);
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \u0000é';
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), char: fc.constantFrom(...chars) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), char: fc.constantFrom(...chars) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), char: fc.constant('') }),
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), char: fc.integer({ min: 0, max: 7 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (mutations) => {
        let bytes = Buffer.from(token, 'utf8');
        for (const m of mutations) {
          const at = m.at % (bytes.length + (m.kind === 'insert' ? 1 : 0));
          if (m.kind === 'replace')
            bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(m.char), bytes.subarray(at + 1)]);
          if (m.kind === 'insert')
            bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(m.char), bytes.subarray(at)]);
          if (m.kind === 'delete') bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
          if (m.kind === 'flip') bytes[at] = (bytes[at] as number) ^ (1 << m.char);
        }
        const mutated = bytes.toString('latin1');
        fc.pre(mutated !== token);
        expect(await signer.verify(mutated)).toBeNull();
      }),
      { numRuns: 500 },
    );
    expect(await signer.verify(token)).not.toBeNull();
  });

  it('publishes only public keys, on a public route', async () => {
    const { keys } = await signer.jwks();
    expect(keys).toEqual([{ ...stolen.publicJwk, kid: stolen.kid, alg: 'EdDSA', use: 'sig' }]);
    expect(JSON.stringify(keys)).not.toContain('"d"');
    const app = Fastify() as unknown as App;
    registerJwksRoute(app, signer);
    const response = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ keys });
    expect(response.headers['cache-control']).toBe('public, max-age=60');
    await app.close();
  });

  it('stores the private key only wrapped by the keyring and bound to its kid', async () => {
    const { db } = test.container.database;
    const row = await db
      .selectFrom('vaultSigningKeys')
      .selectAll()
      .where('kid', '=', stolen.kid)
      .executeTakeFirstOrThrow();
    expect(row.privateEnc).toMatch(/^v\d+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(row.privateEnc).not.toContain(stolen.publicJwk.x);
    expect(JSON.parse(row.publicJwk)).not.toHaveProperty('d');
    // The same wrapped bytes under another kid do not open.
    await expect(
      test.container.vault.provider.unwrap(
        db,
        row.masterVersion,
        row.privateEnc,
        `bulwark signing key\u0000EdDSA\u0000${'A'.repeat(43)}`,
      ),
    ).rejects.toThrow();
  });
});

describe('signing key rotation', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp();
  });
  afterAll(async () => {
    await test.close();
  });

  it('old tokens verify until the old key retires; new tokens carry the new kid; the old private key is gone', async () => {
    const clock = manualClock();
    const signer = signerOver(test, clock);
    const old = await takeActiveKey(test);
    const before = await signer.sign(CLAIMS, 900);
    expect(kidOf(before)).toBe(old.kid);

    const kid = await signer.rotateSigningKey();
    expect(kid).not.toBe(old.kid);
    const after = await signer.sign(CLAIMS, 900);
    expect(kidOf(after)).toBe(kid);
    expect(await signer.verify(before)).not.toBeNull();
    expect(await signer.verify(after)).not.toBeNull();
    // The container's own signer has not seen the new key yet: an unknown kid makes it re-read the keys.
    expect(await test.container.signer.verify(after)).not.toBeNull();

    const { db } = test.container.database;
    const oldRow = await db
      .selectFrom('vaultSigningKeys')
      .selectAll()
      .where('kid', '=', old.kid)
      .executeTakeFirstOrThrow();
    expect(oldRow.privateEnc).toBeNull();
    expect(oldRow.retiresAt.getTime()).toBe(clock.now().getTime() + SIGNING_KEY_GRACE_SECONDS * 1000);

    clock.advance(900);
    expect(await signer.verify(before)).not.toBeNull();
    // Only a thief of the old private key can still sign with it: accepted until retirement, never after.
    clock.advance(SIGNING_KEY_GRACE_SECONDS - 900 - 2);
    expect(await signer.verify(await forge(test, old.kid, old.key, { at: clock.now() }))).not.toBeNull();
    expect((await signer.jwks()).keys.map((k) => k.kid).sort()).toEqual([old.kid, kid].sort());
    clock.advance(2);
    expect(await signer.verify(await forge(test, old.kid, old.key, { at: clock.now() }))).toBeNull();
    expect(
      await signer.verify(
        await forge(test, kid as string, (await takeActiveKey(test)).key, { at: clock.now() }),
      ),
    ).not.toBeNull();
    expect((await signer.jwks()).keys.map((k) => k.kid)).toEqual([kid]);
  });

  it('rotates by itself once the active key is older than the maximum age', async () => {
    const clock = manualClock();
    const signer = signerOver(test, clock);
    const first = kidOf(await signer.sign(CLAIMS, 60));
    clock.advance(SIGNING_KEY_MAX_AGE_DAYS * 86_400 - 60);
    await signer.initialise();
    expect(kidOf(await signer.sign(CLAIMS, 60))).toBe(first);
    const { db } = test.container.database;
    const count = async () => (await db.selectFrom('vaultSigningKeys').select('kid').execute()).length;
    const keysBefore = await count();
    clock.advance(120);
    // Two nodes noticing at the same moment make one new key between them.
    const other = signerOver(test, clock);
    await Promise.all([signer.initialise(), other.initialise()]);
    await signer.close();
    await other.close();
    expect(await count()).toBe(keysBefore + 1);
    const second = kidOf(await signer.sign(CLAIMS, 60));
    expect(second).not.toBe(first);
    expect(kidOf(await other.sign(CLAIMS, 60))).toBe(second);
  });

  it('two rotations at once leave exactly one active key', async () => {
    const a = signerOver(test, manualClock());
    const b = signerOver(test, manualClock());
    const kids = await Promise.all([a.rotateSigningKey(), b.rotateSigningKey()]);
    expect(new Set(kids).size).toBe(2);
    const active = await test.container.database.db
      .selectFrom('vaultSigningKeys')
      .select('kid')
      .where('retiresAt', 'is', null)
      .execute();
    expect(active).toHaveLength(1);
    expect(kids).toContain(active[0]?.kid);
    // The loser may sign with the key it made for a few seconds: that key verifies through its grace.
    const token = await a.sign(CLAIMS, 60);
    expect(kids).toContain(kidOf(token));
    expect(await b.verify(token)).not.toBeNull();
  });

  it('another signer on the same database verifies tokens signed after a rotation it has not seen', async () => {
    const clock = manualClock();
    const first = signerOver(test, clock);
    const second = signerOver(test, clock);
    expect(await second.verify(await first.sign(CLAIMS, 60))).not.toBeNull();
    await first.rotateSigningKey();
    const token = await first.sign(CLAIMS, 60);
    expect(await second.verify(token)).not.toBeNull();
  });
});

describe('signing keys across master key rotation', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp();
  });
  afterAll(async () => {
    await test.close();
  });

  it('a running signer re-wraps the private key during the grace period, so the kid survives', async () => {
    const { container } = test;
    const kid = kidOf(await container.signer.sign(CLAIMS, 60));
    const result = await rotateMasterKey(container.database.db, {
      provider: container.vault.provider,
      vault: container.vault,
      events: container.events,
      sleep: () => container.signer.initialise(),
    });
    expect(result.retired).toEqual([1]);
    const fresh = signerOver(test, manualClock());
    const token = await fresh.sign(CLAIMS, 60);
    expect(kidOf(token)).toBe(kid);
    expect(await container.signer.verify(token)).not.toBeNull();
  });

  it('when no signer held it, a private key lost to a retired master key is replaced; its tokens still verify', async () => {
    const { container } = test;
    await container.signer.close();
    const old = await container.signer.sign(CLAIMS, 600);
    await rotateMasterKey(container.database.db, {
      provider: container.vault.provider,
      vault: container.vault,
      events: container.events,
      sleep: async () => {},
    });
    const fresh = signerOver(test, manualClock());
    const token = await fresh.sign(CLAIMS, 60);
    expect(kidOf(token)).not.toBe(kidOf(old));
    expect(await fresh.verify(old)).not.toBeNull();
    expect(await container.signer.verify(token)).not.toBeNull();
  });
});

// Several nodes need a shared server database: this block runs in CI's PostgreSQL pass (PGlite is one
// process, so there is nothing to share).
if (engine === 'postgres') {
  describe('two nodes on one PostgreSQL database', () => {
    it('a second container verifies what the first signs, before and after the first rotates', async () => {
      const database = await createPostgresDatabase();
      const root = ephemeralRootKey();
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-test-'));
      const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: database.url, BULWARK_DATA_DIR: dataDir });
      const a = await createContainer(config, { rootKey: root, poolSize: 3 });
      const b = await createContainer(config, { rootKey: root, poolSize: 3 });
      try {
        await a.migrate();
        await b.migrate();
        const first = await a.signer.sign(CLAIMS, 60);
        expect(await b.signer.verify(first)).not.toBeNull();
        const kid = await a.signer.rotateSigningKey();
        const second = await a.signer.sign(CLAIMS, 60);
        expect(kidOf(second)).toBe(kid);
        expect(await b.signer.verify(second)).not.toBeNull();
        expect(await b.signer.verify(first)).not.toBeNull();
        // b signs with the new key once its background refresh has seen it.
        await b.signer.initialise();
        const fromB = await b.signer.sign(CLAIMS, 60);
        expect(kidOf(fromB)).toBe(kid);
        expect(await a.signer.verify(fromB)).not.toBeNull();
      } finally {
        await a.close();
        await b.close();
        await database.drop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
