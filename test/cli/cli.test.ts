import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDER_STATUSES } from '../../src/modules/commerce/index.ts';
import {
  type RunningServer,
  runBulwark,
  serverEnvironment,
  startBulwark,
  tempDataDir,
} from '../helpers/spawn-bulwark.ts';
import { totpCode } from '../helpers/test-app.ts';
import { engine } from '../helpers/test-database.ts';

async function post(url: string, body: unknown, token?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function logInAndListOrders(url: string, email: string, password: string) {
  const tokens = await post(`${url}/v1/auth/token`, { email, password });
  expect(tokens.status).toBe(200);
  const headers = { authorization: `Bearer ${tokens.body.accessToken}` };
  const orders = await fetch(`${url}/v1/orders?limit=100`, { headers });
  expect(orders.status).toBe(200);
  const parcels = (await (await fetch(`${url}/v1/parcels?limit=100`, { headers })).json()) as {
    items: { status: string }[];
  };
  return { ...((await orders.json()) as { items: { status: string }[] }), parcels: parcels.items };
}

describe('the bulwark command', () => {
  const dataDir = tempDataDir();
  let env: Record<string, string>;
  let server: RunningServer;
  let dropDatabase: () => Promise<void> = async () => {};

  beforeAll(async () => {
    ({ env, drop: dropDatabase } = await serverEnvironment(dataDir, { BULWARK_SEED_DEMO: 'true' }));
    server = await startBulwark(env);
  });

  afterAll(async () => {
    await server?.stop('SIGKILL');
    await dropDatabase();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts on an empty data directory, seeds a demo set and prints how a demo shopper logs in', async () => {
    const match = /-d '(\{"email":"[^"]+","password":"[^"]+"\})'/.exec(server.output());
    expect(match, server.output()).not.toBeNull();
    const { email, password } = JSON.parse(match?.[1] as string);
    const orders = await logInAndListOrders(server.url, email, password);
    expect(orders.items.length).toBeGreaterThan(5);
    expect(new Set(orders.items.map((order) => order.status)).size).toBeGreaterThan(5);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    if (engine === 'pglite') {
      expect(fs.statSync(path.join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
      expect(server.output()).toContain('Back it up');
    }
  });

  it('seeds more shoppers through the running server and prints them as JSON', async () => {
    const result = await runBulwark(['seed', '--users', '2', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const shoppers = JSON.parse(result.stdout) as { id: string; email: string; password: string }[];
    expect(shoppers).toHaveLength(2);
    for (const shopper of shoppers) expect(shopper.id).toMatch(/^usr_[0-9a-z]{26}$/);
    const orders = await logInAndListOrders(
      server.url,
      shoppers[1]?.email as string,
      shoppers[1]?.password as string,
    );
    expect(new Set(orders.items.map((order) => order.status))).toEqual(new Set(ORDER_STATUSES));
    expect(new Set(orders.parcels.map((parcel) => parcel.status))).toEqual(
      new Set(['requested', 'packed', 'shipped', 'delivered']),
    );
  });

  it('creates a staff member with an authenticator enrolled: the password alone does not log in', async () => {
    const email = `warehouse-${Date.now()}@bulwark.test`;
    // Staff passwords pass the full policy (12+ characters, not breached, zxcvbn 3+): random, as a manager's would be.
    const password = `Wh-${randomBytes(15).toString('base64url')}`;
    const result = await runBulwark(
      ['staff', 'create', '--email', email, '--role', 'warehouse', '--password-stdin', '--json'],
      env,
      `${password}\n`,
    );
    expect(result.code, result.stderr).toBe(0);
    const created = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(created).toEqual({
      id: expect.stringMatching(/^usr_[0-9a-z]{26}$/),
      email,
      role: 'warehouse',
      totpSecret: expect.stringMatching(/^[A-Z2-7]{32}$/),
    });
    expect(result.stdout + result.stderr).not.toContain(password);
    const totpSecret = created.totpSecret as string;

    const halfway = await post(`${server.url}/v1/auth/token`, { email, password });
    expect(halfway.status).toBe(401);
    expect(halfway.body).toMatchObject({
      code: 'IDENTITY_MFA_REQUIRED',
      mfaTicket: expect.stringMatching(/^bw_mt_[A-Za-z0-9_-]{43}$/),
      methods: expect.arrayContaining(['totp']),
    });
    expect(halfway.body).not.toHaveProperty('accessToken');

    const tokens = await post(`${server.url}/v1/auth/token`, {
      email,
      password,
      mfaCode: totpCode(totpSecret),
    });
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    const queue = await fetch(`${server.url}/v1/staff/orders?status=paid`, {
      headers: { authorization: `Bearer ${tokens.body.accessToken}` },
    });
    expect(queue.status).toBe(200);
  });

  it('refuses a weak staff password with one line, creating nobody', async () => {
    const email = `support-${Date.now()}@bulwark.test`;
    const weak = await runBulwark(
      ['staff', 'create', '--email', email, '--role', 'support', '--password-stdin', '--json'],
      env,
      'password1234\n',
    );
    expect(weak.code).toBe(1);
    expect(weak.stderr.trim().split('\n'), weak.stderr).toHaveLength(1);
    expect(weak.stderr).toMatch(/^bulwark: The password /);
    expect(weak.stderr).not.toContain('password1234');
    expect(weak.stdout).toBe('');
    const login = await post(`${server.url}/v1/auth/token`, { email, password: 'password1234' });
    expect(login.status).toBe(401);
    expect(login.body.code).toBe('IDENTITY_INVALID_CREDENTIALS');
  });

  it('rotates the token-signing key through the running server; tokens signed before still work', async () => {
    const match = /-d '(\{"email":"[^"]+","password":"[^"]+"\})'/.exec(server.output());
    const tokens = await post(`${server.url}/v1/auth/token`, JSON.parse(match?.[1] as string));
    expect(tokens.status).toBe(200);
    const kidOf = (token: unknown) =>
      JSON.parse(Buffer.from(String(token).split('.')[0] as string, 'base64url').toString('utf8')).kid;
    const before = kidOf(tokens.body.accessToken);

    const result = await runBulwark(['keys', 'rotate-signing', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const rotated = JSON.parse(result.stdout) as { kid: string; previousVerifiesForSeconds: number };
    expect(rotated).toEqual({ kid: expect.any(String), previousVerifiesForSeconds: expect.any(Number) });
    expect(rotated.kid).not.toBe(before);
    expect(rotated.previousVerifiesForSeconds).toBeGreaterThan(0);

    const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((key) => key.kid)).toEqual(expect.arrayContaining([before, rotated.kid]));
    const orders = await fetch(`${server.url}/v1/orders`, {
      headers: { authorization: `Bearer ${tokens.body.accessToken}` },
    });
    expect(orders.status).toBe(200);
    const fresh = await post(`${server.url}/v1/auth/token`, JSON.parse(match?.[1] as string));
    expect(kidOf(fresh.body.accessToken)).toBe(rotated.kid);
  });

  it('marks a source through the running server: it meets a challenge on login until the mark is cleared', async () => {
    const match = /-d '(\{"email":"[^"]+","password":"[^"]+"\})'/.exec(server.output());
    const credentials = JSON.parse(match?.[1] as string);
    const marked = await runBulwark(
      [
        'suspects',
        'mark',
        '127.0.0.1',
        '--minutes',
        '5',
        '--reason',
        'drill: stuffing from loopback',
        '--json',
      ],
      env,
    );
    expect(marked.code, marked.stderr).toBe(0);
    expect(JSON.parse(marked.stdout)).toMatchObject({
      source: '127.0.0.1',
      reason: 'drill: stuffing from loopback',
    });
    const challenged = await post(`${server.url}/v1/auth/token`, credentials);
    expect(challenged.status).toBe(403);
    expect(challenged.body).toMatchObject({
      code: 'SHIELD_CHALLENGE_REQUIRED',
      challenge: { kind: 'proof-of-work' },
    });
    const listed = await runBulwark(['suspects', 'list'], env);
    expect(listed.stdout).toContain('127.0.0.1');
    const cleared = await runBulwark(['suspects', 'clear', '127.0.0.1'], env);
    expect(cleared.stdout.trim()).toBe('cleared 127.0.0.1');
    expect((await post(`${server.url}/v1/auth/token`, credentials)).status).toBe(200);
    // A network that is not a /24 is refused with one line naming what is wanted.
    const wrong = await runBulwark(
      ['suspects', 'mark', '10.0.0.0/8', '--minutes', '5', '--reason', 'x'],
      env,
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toContain('/24');
  });

  it('refuses a bad staff role and a bad seed count with one clear line', async () => {
    const role = await runBulwark(
      ['staff', 'create', '--email', 'x@y.test', '--role', 'root', '--password-stdin'],
      env,
      'pw',
    );
    expect(role.code).toBe(1);
    expect(role.stderr.trim().split('\n')).toHaveLength(1);
    expect(role.stderr).toContain('--role');
    const seed = await runBulwark(['seed', '--users', 'many'], env);
    expect(seed.code).not.toBe(0);
    expect(seed.stderr).toContain('--users');
  });

  it('migrate through the running server reports nothing left to apply', async () => {
    const result = await runBulwark(['migrate', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ applied: [] });
  });

  it('a second server cannot open the same embedded data directory; a second node shares PostgreSQL', async () => {
    if (engine === 'pglite') {
      const second = await runBulwark(['start'], { ...env, PORT: '0' });
      expect(second.code).toBe(1);
      expect(second.stderr).toContain('the data directory is in use by another Bulwark process');
      return;
    }
    const otherDir = tempDataDir();
    const node = await startBulwark({ ...env, BULWARK_DATA_DIR: otherDir, BULWARK_SEED_DEMO: 'false' });
    try {
      const match = /-d '(\{"email":"[^"]+","password":"[^"]+"\})'/.exec(server.output());
      const { email, password } = JSON.parse(match?.[1] as string);
      const orders = await logInAndListOrders(node.url, email, password);
      expect(orders.items.length).toBeGreaterThan(5);
    } finally {
      await node.stop();
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it('a wrong configuration value stops the process with one line naming the variable', async () => {
    for (const [name, value] of [
      ['PORT', 'eighty'],
      ['DATABASE_URL', 'mysql://x'],
      ['BULWARK_MASTER_KEY', 'short'],
      ['LOG_LEVEL', 'loud'],
    ]) {
      const result = await runBulwark(['start'], { ...env, [name as string]: value as string });
      expect(result.code, name).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toContain(name);
      expect(lines[0]).not.toContain(value === 'short' ? 'short' : '\u0000');
    }
  });

  it('drains and exits cleanly on SIGTERM, releasing the data directory', async () => {
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'bulwark.lock'))).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'admin.sock'))).toBe(false);
    const offline = await runBulwark(['seed', '--users', '1', '--json'], env);
    expect(offline.code, offline.stderr).toBe(0);
    expect(JSON.parse(offline.stdout)).toHaveLength(1);
  });
});
