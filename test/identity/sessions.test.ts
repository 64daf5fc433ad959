import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config/index.ts';
import { createContainer } from '../../src/container.ts';
import { ephemeralRootKey } from '../../src/modules/vault/index.ts';
import {
  Client,
  createTestApp,
  expectProblem,
  type Shopper,
  serveCapturingLogs,
  serverWords,
  signUp,
  type TestApp,
} from '../helpers/test-app.ts';
import { createPostgresDatabase, engine } from '../helpers/test-database.ts';

// Sessions as their owner sees and ends them, refresh-token families, and access tokens that only the
// server's own live key and a live session can make work.

const clock = {
  offsetMs: 0,
  now: () => new Date(Date.now() + clock.offsetMs),
};
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

interface SessionView {
  id: string;
  kind: 'api' | 'web';
  device: string;
  place: string | null;
  network: string | null;
  userAgent: string | null;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  current: boolean;
}

interface Tokens {
  accessToken: string;
  refreshToken: string;
}

const bearer = (test: TestApp, accessToken: string) =>
  new Client(test.app, { authorization: `Bearer ${accessToken}` });

function expectUnauthenticated(response: LightMyRequestResponse, label = '') {
  const problem = expectProblem(response, 401);
  expect(problem.code, label).toBe('IDENTITY_UNAUTHENTICATED');
  expect(response.headers['www-authenticate'], label).toBe('Bearer realm="bulwark"');
  expect(serverWords(response), label).not.toMatch(/stack|at .*\.ts|jose|JWS|signature/i);
}

/** Logs in from a chosen address and browser, as a person on another device would. */
async function loginFrom(
  test: TestApp,
  shopper: { email: string; password: string },
  options: { ip?: string; userAgent?: string } = {},
): Promise<Tokens> {
  const response = await test.app.inject({
    method: 'POST',
    url: '/v1/auth/token',
    payload: { email: shopper.email, password: shopper.password },
    remoteAddress: options.ip ?? '127.0.0.1',
    headers: options.userAgent ? { 'user-agent': options.userAgent } : {},
  });
  expect(response.statusCode).toBe(200);
  return response.json() as Tokens;
}

describe('sessions, refresh families and access tokens', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await createTestApp({}, { clock });
  });
  afterAll(() => test.close());

  const sessionsOf = async (client: Client) =>
    (await client.get('/v1/me/sessions')).json().items as SessionView[];

  it('lists each session with its device, place and network, and when it was last used', async () => {
    const shopper = await signUp(test);
    const firefox = await loginFrom(test, shopper, { ip: '80.130.0.1', userAgent: FIREFOX_LINUX });
    const chrome = await loginFrom(test, shopper, { userAgent: CHROME_WINDOWS });
    const sessions = await sessionsOf(bearer(test, chrome.accessToken));
    expect(sessions).toHaveLength(3);

    const fromGermany = sessions.find((s) => s.device === 'Firefox on Linux') as SessionView;
    expect(fromGermany).toMatchObject({
      kind: 'api',
      place: 'Germany',
      network: '80.130.0.0/24',
      userAgent: FIREFOX_LINUX,
      current: false,
    });
    const local = sessions.find((s) => s.device === 'Chrome on Windows') as SessionView;
    expect(local).toMatchObject({ place: null, network: '127.0.0.0/24', current: true });
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    // The list is an allow-list: no digests, no ciphertexts, no full IP address.
    const body = JSON.stringify(sessions);
    expect(body).not.toMatch(/hash|Enc"|80\.130\.0\.1"/i);

    // Last use moves when a session is used (at a minute's resolution).
    const before = new Date(fromGermany.lastSeenAt).getTime();
    clock.offsetMs += 61_000;
    expect((await bearer(test, firefox.accessToken).get('/v1/me')).statusCode).toBe(200);
    const after = (await sessionsOf(shopper.client)).find((s) => s.id === fromGermany.id) as SessionView;
    expect(new Date(after.lastSeenAt).getTime()).toBeGreaterThanOrEqual(before + 60_000);
  });

  it('a revoked session’s token is refused on the very next request', async () => {
    const shopper = await signUp(test);
    const other = await loginFrom(test, shopper, { userAgent: FIREFOX_LINUX });
    const otherClient = bearer(test, other.accessToken);
    expect((await otherClient.get('/v1/me')).statusCode).toBe(200);
    const target = (await sessionsOf(shopper.client)).find((s) => !s.current) as SessionView;

    expect((await shopper.client.delete(`/v1/me/sessions/${target.id}`)).statusCode).toBe(204);
    const started = performance.now();
    const next = await otherClient.get('/v1/me');
    const elapsed = performance.now() - started;
    expectUnauthenticated(next);
    expect(elapsed).toBeLessThan(1000);
    // Its refresh token is dead too, and the session is gone from the list.
    expectProblem(await test.anonymous.post('/v1/auth/refresh', { refreshToken: other.refreshToken }), 401);
    expect((await sessionsOf(shopper.client)).map((s) => s.id)).not.toContain(target.id);
    // Revoking it again, or a made-up ID, is a 404.
    const again = await shopper.client.delete(`/v1/me/sessions/${target.id}`);
    expect(expectProblem(again, 404).code).toBe('IDENTITY_SESSION_NOT_FOUND');
  });

  it('one shopper cannot see or end another’s sessions', async () => {
    const victim = await signUp(test);
    const attacker = await signUp(test);
    const victimSession = (await sessionsOf(victim.client))[0] as SessionView;
    expect((await sessionsOf(attacker.client)).map((s) => s.id)).not.toContain(victimSession.id);
    const attempt = await attacker.client.delete(`/v1/me/sessions/${victimSession.id}`);
    expect(expectProblem(attempt, 404).code).toBe('IDENTITY_SESSION_NOT_FOUND');
    expect((await victim.client.get('/v1/me')).statusCode).toBe(200);
  });

  it('“sign out everywhere else” keeps the current session only', async () => {
    const shopper = await signUp(test);
    const others = [
      await loginFrom(test, shopper, { userAgent: FIREFOX_LINUX }),
      await loginFrom(test, shopper, { userAgent: CHROME_WINDOWS, ip: '80.130.0.1' }),
    ];
    const web = await test.anonymous.post('/v1/auth/login', {
      email: shopper.email,
      password: shopper.password,
    });
    const cookie = String(web.headers['set-cookie']).split(';')[0] as string;
    const revoked = await shopper.client.post('/v1/me/sessions/revoke-others');
    expect(revoked.json()).toEqual({ revoked: 3 });
    for (const tokens of others) expectUnauthenticated(await bearer(test, tokens.accessToken).get('/v1/me'));
    expectUnauthenticated(await new Client(test.app, { cookie }).get('/v1/me'));
    expect((await shopper.client.get('/v1/me')).statusCode).toBe(200);
    const left = await sessionsOf(shopper.client);
    expect(left).toHaveLength(1);
    expect(left[0]?.current).toBe(true);
  });

  it('replaying any earlier refresh token of a family, not only the last, ends the whole family', async () => {
    const shopper = await signUp(test);
    const first = await loginFrom(test, shopper);
    const chain: Tokens[] = [first];
    for (let i = 0; i < 3; i += 1) {
      const next = await test.anonymous.post('/v1/auth/refresh', {
        refreshToken: (chain.at(-1) as Tokens).refreshToken,
      });
      expect(next.statusCode).toBe(200);
      chain.push(next.json() as Tokens);
    }
    const current = chain.at(-1) as Tokens;
    expect((await bearer(test, current.accessToken).get('/v1/me')).statusCode).toBe(200);
    // Each rotation retired the access token before it.
    for (const old of chain.slice(0, -1))
      expectUnauthenticated(await bearer(test, old.accessToken).get('/v1/me'));

    const replay = await test.anonymous.post('/v1/auth/refresh', { refreshToken: first.refreshToken });
    expect(expectProblem(replay, 401).code).toBe('IDENTITY_REFRESH_TOKEN_REUSED');
    expectUnauthenticated(await bearer(test, current.accessToken).get('/v1/me'));
    const currentRefresh = await test.anonymous.post('/v1/auth/refresh', {
      refreshToken: current.refreshToken,
    });
    expectProblem(currentRefresh, 401);
    // The shopper's other sessions are not part of the family.
    expect((await shopper.client.get('/v1/me')).statusCode).toBe(200);
    // An unknown refresh token is just invalid.
    const unknown = await test.anonymous.post('/v1/auth/refresh', { refreshToken: 'bw_rt_not-a-real-token' });
    expect(expectProblem(unknown, 401).code).toBe('IDENTITY_INVALID_REFRESH_TOKEN');
  });

  describe('access tokens that are not the server’s own, or no longer valid', () => {
    let shopper: Shopper;
    let other: Shopper;
    let token: string;

    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
    const refusedWith = async (forged: string, label: string) =>
      expectUnauthenticated(await bearer(test, forged).get('/v1/me'), label);

    beforeAll(async () => {
      shopper = await signUp(test);
      other = await signUp(test);
      token = (await loginFrom(test, shopper)).accessToken;
      expect((await bearer(test, token).get('/v1/me')).statusCode).toBe(200);
    });

    it('alg none, with or without a signature part', async () => {
      const [, payload] = token.split('.') as [string, string, string];
      const header = { ...decodeProtectedHeader(token), alg: 'none' };
      await refusedWith(`${b64(header)}.${payload}.`, 'none, empty signature');
      await refusedWith(`${b64(header)}.${payload}.${b64('x')}`, 'none, junk signature');
      await refusedWith(`${b64({ alg: 'none' })}.${payload}.`, 'bare none header');
    });

    it('HS256 with the public key as the HMAC secret', async () => {
      const { keys } = await test.container.signer.jwks();
      const jwk = keys[0] as { x: string; kid: string };
      const claims = decodeJwt(token);
      for (const secret of [
        Buffer.from(jwk.x, 'base64url'),
        Buffer.from(JSON.stringify(jwk), 'utf8'),
        Buffer.from(jwk.x, 'utf8'),
      ]) {
        const forged = await new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', kid: jwk.kid, typ: 'at+jwt' })
          .sign(new Uint8Array(secret));
        await refusedWith(forged, 'HS256');
      }
    });

    it('a token signed by another Ed25519 key under the server’s kid', async () => {
      const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      const { kid } = decodeProtectedHeader(token);
      const forged = await new SignJWT(decodeJwt(token))
        .setProtectedHeader({ alg: 'EdDSA', kid: kid as string, typ: 'at+jwt' })
        .sign(privateKey);
      await refusedWith(forged, 'same kid, other key');
      // Nor with the attacker's key embedded in the header.
      const embedded = await new SignJWT(decodeJwt(token))
        .setProtectedHeader({
          alg: 'EdDSA',
          kid: kid as string,
          typ: 'at+jwt',
          jwk: await exportJWK(publicKey),
        })
        .sign(privateKey);
      await refusedWith(embedded, 'embedded jwk');
    });

    it('a payload changed after signing (another user as the subject)', async () => {
      const [header, , signature] = token.split('.') as [string, string, string];
      const tampered = { ...decodeJwt(token), sub: other.userId };
      await refusedWith(`${header}.${b64(tampered)}.${signature}`, 'tampered sub');
      const longer = { ...decodeJwt(token), exp: (decodeJwt(token).exp as number) + 86_400 };
      await refusedWith(`${header}.${b64(longer)}.${signature}`, 'tampered exp');
    });

    it('even a token our key signed is refused when its subject is not the session’s owner', async () => {
      const claims = decodeJwt(token) as { sub: string; sid: string; gen: string };
      const signed = await test.container.signer.sign(
        { sub: other.userId, sid: claims.sid, kind: 'access', gen: claims.gen },
        60,
      );
      await refusedWith(signed, 'signed, wrong subject');
      const otherSession = await test.container.signer.sign(
        { sub: claims.sub, sid: 'ses_00000000000000000000000000', kind: 'access', gen: claims.gen },
        60,
      );
      await refusedWith(otherSession, 'signed, wrong session');
      // The same claims as the real token, re-signed: accepted (the checks above are what refused).
      const same = await test.container.signer.sign(
        { sub: claims.sub, sid: claims.sid, kind: 'access', gen: claims.gen },
        60,
      );
      expect((await bearer(test, same).get('/v1/me')).statusCode).toBe(200);
    });

    it('an expired token', async () => {
      const claims = decodeJwt(token) as { sub: string; sid: string; gen: string };
      const shortLived = await test.container.signer.sign(
        { sub: claims.sub, sid: claims.sid, kind: 'access', gen: claims.gen },
        1,
      );
      expect((await bearer(test, shortLived).get('/v1/me')).statusCode).toBe(200);
      // Past its expiry and the 5-second allowance for clock skew.
      clock.offsetMs += 7_000;
      await refusedWith(shortLived, 'expired');
      expect((await bearer(test, token).get('/v1/me')).statusCode).toBe(200);
    });

    it('garbage, truncated and oversized tokens', async () => {
      for (const [label, forged] of [
        ['truncated', token.slice(0, -5)],
        ['two parts', token.split('.').slice(0, 2).join('.')],
        ['not a JWT', 'hello'],
        ['refresh token as bearer', 'bw_rt_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'],
        ['8 KiB', `${token}${'A'.repeat(8192)}`],
      ] as const) {
        await refusedWith(forged, label);
      }
    });

    it('a token whose session was revoked (logout)', async () => {
      const tokens = await loginFrom(test, shopper);
      const client = bearer(test, tokens.accessToken);
      expect((await client.post('/v1/auth/logout')).statusCode).toBe(204);
      await refusedWith(tokens.accessToken, 'after logout');
    });
  });
});

// Several nodes need a shared server database: this block runs in CI's PostgreSQL pass (PGlite is one
// process, so there is nothing to share).
if (engine === 'postgres') {
  describe('several nodes on one PostgreSQL database', () => {
    const root = ephemeralRootKey();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-nodes-'));
    let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
    let config: Config;
    const nodes: { app: Awaited<ReturnType<typeof serveCapturingLogs>>; close(): Promise<void> }[] = [];

    async function startNode() {
      const container = await createContainer(config, { rootKey: root, poolSize: 5 });
      await container.migrate();
      const app = await serveCapturingLogs(container);
      await app.ready();
      const node = {
        app,
        async close() {
          await app.close();
          await container.close();
        },
      };
      nodes.push(node);
      return node;
    }

    beforeAll(async () => {
      database = await createPostgresDatabase();
      config = loadConfig({ NODE_ENV: 'test', BULWARK_DATA_DIR: dataDir, DATABASE_URL: database.url });
    });
    afterAll(async () => {
      for (const node of nodes) await node.close();
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('a session revoked on one node is refused by another on the next request', async () => {
      const a = await startNode();
      const b = await startNode();
      // The helpers need only an app and an anonymous client of it.
      const via = (node: typeof a) =>
        ({ app: node.app, anonymous: new Client(node.app) }) as unknown as TestApp;
      const shopper = await signUp(via(a));
      const second = await loginFrom(via(a), shopper);
      const onB = new Client(b.app, { authorization: `Bearer ${second.accessToken}` });
      expect((await onB.get('/v1/me')).statusCode).toBe(200);

      const target = ((await shopper.client.get('/v1/me/sessions')).json().items as SessionView[]).find(
        (s) => !s.current,
      ) as SessionView;
      expect((await shopper.client.delete(`/v1/me/sessions/${target.id}`)).statusCode).toBe(204);
      const started = performance.now();
      const next = await onB.get('/v1/me');
      expect(performance.now() - started).toBeLessThan(1000);
      expectUnauthenticated(next);

      // A refresh token rotated on one node and replayed on the other ends the family there too.
      const third = await loginFrom(via(b), shopper);
      const rotated = await new Client(a.app).post('/v1/auth/refresh', { refreshToken: third.refreshToken });
      expect(rotated.statusCode).toBe(200);
      const replay = await new Client(b.app).post('/v1/auth/refresh', { refreshToken: third.refreshToken });
      expect(expectProblem(replay, 401).code).toBe('IDENTITY_REFRESH_TOKEN_REUSED');
      expectUnauthenticated(
        await new Client(a.app, { authorization: `Bearer ${rotated.json().accessToken}` }).get('/v1/me'),
      );
    });
  });
}
