import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { sendToRunningServer } from '../../src/cli/admin-socket.ts';
import { loadConfig } from '../../src/config/index.ts';
import { type Container, createContainer } from '../../src/container.ts';
import type { IdentityTables } from '../../src/modules/identity/identity.tables.ts';
import type { VaultTables } from '../../src/modules/vault/data-keys.repository.ts';
import { openField } from '../../src/modules/vault/field-cipher.ts';
import {
  ephemeralRootKey,
  LocalMasterKeyProvider,
  type MasterKeyProvider,
  RETIRE_GRACE_MS,
  type RootKey,
  type RotationResult,
  rotateMasterKey,
  Vault,
} from '../../src/modules/vault/index.ts';
import { wrapContext } from '../../src/modules/vault/vault.service.ts';
import type { BulwarkEvents } from '../../src/platform/events.ts';
import { newId } from '../../src/platform/ids.ts';
import { addressBody, orderBody } from '../helpers/commerce-flows.ts';
import {
  type CommandResult,
  type RunningServer,
  runBulwark,
  serverEnvironment,
  startBulwark,
  tempDataDir,
} from '../helpers/spawn-bulwark.ts';
import { createTestApp, type Shopper, signUp, type TestApp } from '../helpers/test-app.ts';
import { createPostgresDatabase, engine } from '../helpers/test-database.ts';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `work` over `items` with at most `limit` of them in flight. */
async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>) {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

type RotationDb = Kysely<VaultTables & IdentityTables>;

async function dataKeyVersions(db: RotationDb) {
  const rows = await db
    .selectFrom('vaultDataKeys')
    .select(['masterVersion'])
    .where('shreddedAt', 'is', null)
    .execute();
  return rows.map((row) => row.masterVersion);
}

async function masterKeys(db: RotationDb) {
  return db.selectFrom('vaultMasterKeys').selectAll().orderBy('version').execute();
}

/**
 * Opens each user's e-mail with their data key unwrapped straight from its row under `version`, so no
 * in-memory data key cache can hide a bad re-wrap.
 */
async function expectEmailsOpenUnder(
  db: RotationDb,
  provider: MasterKeyProvider,
  version: number,
  emails: ReadonlyMap<string, string>,
) {
  const users = await db.selectFrom('users').select(['id', 'emailEnc']).execute();
  const keys = await db.selectFrom('vaultDataKeys').selectAll().execute();
  const keyByOwner = new Map(keys.map((key) => [key.ownerId, key]));
  let checked = 0;
  for (const user of users) {
    const expected = emails.get(user.id);
    if (expected === undefined) continue;
    const row = keyByOwner.get(user.id);
    expect(row?.masterVersion).toBe(version);
    const key = await provider.unwrap(
      db,
      version,
      row?.wrappedKey as string,
      wrapContext(row?.id as string, user.id),
    );
    expect(openField(key, { table: 'users', column: 'email', rowId: user.id }, user.emailEnc)).toBe(expected);
    checked += 1;
  }
  expect(checked).toBe(emails.size);
}

interface ExpectedShopper {
  readonly shopper: Shopper;
  readonly fullName: string;
  readonly phone: string;
  readonly addresses: Map<string, { label: string; line1: string; recipientName: string }>;
  readonly orders: Map<string, { note: string; options: string }>;
}

describe('master key rotation, in process, under load', () => {
  let test: TestApp;
  afterAll(async () => {
    await test?.close();
  });

  it('re-wraps every data key while reads and writes keep succeeding, then rotates again', {
    timeout: 120_000,
  }, async () => {
    test = await createTestApp();
    const db = test.container.database.db as RotationDb;
    const { vault, events } = test.container;
    const provider = vault.provider;
    const shoppers: ExpectedShopper[] = [];
    let serial = 0;

    const newShopper = async () => {
      const n = ++serial;
      const fullName = `Test Shopper ${n}`;
      const phone = `+4860123${String(n).padStart(4, '0')}`;
      const shopper = await signUp(test, { fullName, phone });
      const expected: ExpectedShopper = { shopper, fullName, phone, addresses: new Map(), orders: new Map() };
      shoppers.push(expected);
      return expected;
    };
    let writes = 0;
    const addAddress = async (s: ExpectedShopper) => {
      const n = ++writes;
      const fields = {
        label: `home ${n}`,
        line1: `ul. Marszałkowska ${n}`,
        recipientName: `${s.fullName} ${n}`,
      };
      const response = await s.shopper.client.post('/v1/me/addresses', addressBody(fields));
      if (response.statusCode === 201) s.addresses.set(response.json().id, fields);
      return response;
    };
    const addOrder = async (s: ExpectedShopper) => {
      const n = ++writes;
      const fields = { note: `please check the box ${n}`, options: `EU ${30 + (n % 20)} / colour ${n}` };
      const body = orderBody({
        note: fields.note,
        items: [
          {
            link: 'https://item.taobao.com/item.htm?id=6543210987',
            title: 'Canvas sneakers',
            options: fields.options,
            quantity: 1,
            unitPrice: 9_900,
          },
        ],
      });
      const response = await s.shopper.client.post('/v1/orders', body);
      if (response.statusCode === 201) s.orders.set(response.json().id, fields);
      return response;
    };

    await inParallel(Array.from({ length: 15 }), 5, async () => {
      const s = await newShopper();
      for (let i = 0; i < 2; i++) {
        expect((await addAddress(s)).statusCode).toBe(201);
        expect((await addOrder(s)).statusCode).toBe(201);
      }
    });
    // Owners without accounts (cheap: no Argon2), so the re-wrap pass lasts long enough to overlap requests.
    for (let i = 0; i < 300; i++) await vault.ensureDataKey(db, newId('user'));
    const fromVersion = await provider.activeVersion(db);
    const rotated: BulwarkEvents['vault.key_rotated'][] = [];
    const unsubscribe = events.on('vault.key_rotated', (event) => rotated.push(event));

    // The load: readers and writers loop until the rotation resolves; every answer must be a success.
    const failures: string[] = [];
    let requests = 0;
    let requestsBeforeGrace = -1;
    const record = (label: string, response: { statusCode: number; body: string }) => {
      requests += 1;
      if (response.statusCode < 200 || response.statusCode >= 300)
        failures.push(`${label}: ${response.statusCode} ${response.body}`);
    };
    const pick = () => shoppers[Math.floor(Math.random() * shoppers.length)] as ExpectedShopper;
    let rotating = true;
    const rotation = rotateMasterKey(db, {
      provider,
      vault,
      events,
      sleep: async (ms) => {
        expect(ms).toBe(RETIRE_GRACE_MS);
        requestsBeforeGrace = requests;
        await delay(200);
      },
    }).finally(() => {
      rotating = false;
    });
    // Injected requests on in-memory PGlite can complete in microtasks alone: each turn waits on a timer
    // (as network I/O would), or the grace timer might never fire, and paces the load so the rotation's
    // own queries are not starved. A deadline stops the load if the rotation hangs.
    const deadline = Date.now() + 60_000;
    const loadGoesOn = async () => {
      await delay(20);
      return rotating && Date.now() < deadline;
    };
    const reader = async () => {
      while (await loadGoesOn()) {
        const { client } = pick().shopper;
        const [me, addresses, orders] = await Promise.all([
          client.get('/v1/me'),
          client.get('/v1/me/addresses'),
          client.get('/v1/orders?limit=100'),
        ]);
        record('GET /v1/me', me);
        record('GET /v1/me/addresses', addresses);
        record('GET /v1/orders', orders);
      }
    };
    const writer = async () => {
      while (await loadGoesOn()) {
        const s = pick();
        // Within the address book's limit (20) and one page of orders.
        if (s.addresses.size < 15) record('POST /v1/me/addresses', await addAddress(s));
        if (s.orders.size < 90) record('POST /v1/orders', await addOrder(s));
      }
    };
    let signedUpDuringRotation = 0;
    const signUps = async () => {
      while (await loadGoesOn()) {
        try {
          const s = await newShopper();
          signedUpDuringRotation += 1;
          record('POST /v1/me/addresses (new shopper)', await addAddress(s));
          record('POST /v1/orders (new shopper)', await addOrder(s));
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const [result] = await Promise.all([rotation, reader(), reader(), writer(), signUps()]);
    unsubscribe();

    expect(failures).toEqual([]);
    expect(requestsBeforeGrace, 'requests served during the re-wrap pass').toBeGreaterThan(0);
    expect(signedUpDuringRotation).toBeGreaterThan(0);
    const first = result as RotationResult;
    expect(first).toMatchObject({ version: fromVersion + 1, resumed: false, retired: [fromVersion] });
    expect(first.rewrapped).toBeGreaterThanOrEqual(315);
    expect(rotated).toEqual([
      expect.objectContaining({
        fromVersions: [fromVersion],
        toVersion: first.version,
        rewrapped: first.rewrapped,
      }),
    ]);

    const expectAllOn = async (version: number, retired: number[]) => {
      const versions = await dataKeyVersions(db);
      expect(versions.length).toBe(300 + shoppers.length);
      expect(new Set(versions)).toEqual(new Set([version]));
      for (const key of await masterKeys(db)) {
        if (retired.includes(key.version)) {
          expect(key.retiredAt, `v${key.version} retired`).not.toBeNull();
          expect(key.wrappedKey, `v${key.version} key material destroyed`).toBe('retired');
        } else {
          expect(key.version).toBe(version);
          expect(key.retiredAt).toBeNull();
        }
      }
      await expectEmailsOpenUnder(
        db,
        provider,
        version,
        new Map(shoppers.map((s) => [s.shopper.userId, s.shopper.email])),
      );
    };
    const expectEveryShopperReadable = async () => {
      await inParallel(shoppers, 8, async (s) => {
        const me = await s.shopper.client.get('/v1/me');
        expect(me.statusCode, me.body).toBe(200);
        expect(me.json()).toMatchObject({ email: s.shopper.email, fullName: s.fullName, phone: s.phone });
        const addresses = await s.shopper.client.get('/v1/me/addresses');
        expect(addresses.statusCode, addresses.body).toBe(200);
        const gotAddresses = new Map(
          (
            addresses.json().items as { id: string; label: string; line1: string; recipientName: string }[]
          ).map((a) => [a.id, { label: a.label, line1: a.line1, recipientName: a.recipientName }]),
        );
        expect(gotAddresses).toEqual(s.addresses);
        const orders = await s.shopper.client.get('/v1/orders?limit=100');
        expect(orders.statusCode, orders.body).toBe(200);
        const gotOrders = new Map(
          (orders.json().items as { id: string; note: string; items: { options: string }[] }[]).map((o) => [
            o.id,
            { note: o.note, options: o.items[0]?.options },
          ]),
        );
        expect(gotOrders).toEqual(s.orders);
      });
    };
    await expectAllOn(first.version, [fromVersion]);
    await expectEveryShopperReadable();

    // A second rotation right after: v3, and v2 retired in its turn.
    const second = await rotateMasterKey(db, { provider, vault, events, sleep: () => delay(50) });
    expect(second).toMatchObject({ version: first.version + 1, resumed: false, retired: [first.version] });
    expect(second.rewrapped).toBe(300 + shoppers.length);
    await expectAllOn(second.version, [fromVersion, first.version]);
    await expectEveryShopperReadable();
  });
});

/**
 * Two "nodes" on one database with one root key: each has its own keyring (and its 5 s cache of the
 * active version), as two server processes would.
 */
describe('master key rotation across nodes and crashes', () => {
  let container: Container;
  let root: RootKey;
  let cleanup: () => Promise<void> = async () => {};

  afterEach(async () => {
    await container?.close();
    await cleanup();
  });

  async function openNode() {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-rotation-'));
    const database = engine === 'postgres' ? await createPostgresDatabase() : null;
    const config = loadConfig({
      NODE_ENV: 'test',
      BULWARK_DATA_DIR: dataDir,
      ...(database ? { DATABASE_URL: database.url } : {}),
    });
    root = ephemeralRootKey();
    container = await createContainer(config, { inMemory: true, rootKey: root, poolSize: 5 });
    await container.migrate();
    cleanup = async () => {
      await database?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    };
    return container;
  }

  /** Data keys with one sealed value each; returns a check that opens them all from a cold node. */
  async function someOwners(count: number) {
    const { vault } = container;
    const db = container.database.db;
    const sealed = new Map<string, string>();
    for (let i = 0; i < count; i++) {
      const ownerId = newId('user');
      sealed.set(
        ownerId,
        await vault.seal(db, { ownerId, table: 'users', column: 'email', rowId: ownerId }, `owner-${i}`),
      );
    }
    return async () => {
      const cold = new Vault({ ...container, root, provider: new LocalMasterKeyProvider(root) });
      let i = 0;
      for (const [ownerId, ciphertext] of sealed) {
        const field = { table: 'users', column: 'email', rowId: ownerId };
        expect(await cold.openOwn(db, ownerId, field, ciphertext)).toBe(`owner-${i++}`);
      }
    };
  }

  it('a crash during the grace period resumes the same version instead of starting another', async () => {
    const { database, vault, events } = await openNode();
    const db = database.db as RotationDb;
    const readable = await someOwners(20);
    const provider = vault.provider;
    const crash = new Error('killed during the grace period');
    await expect(
      rotateMasterKey(db, { provider, vault, events, sleep: () => Promise.reject(crash) }),
    ).rejects.toBe(crash);
    expect(new Set(await dataKeyVersions(db))).toEqual(new Set([2]));
    expect((await masterKeys(db)).map((k) => k.retiredAt === null)).toEqual([true, true]);

    const again = await rotateMasterKey(db, { provider, vault, events, sleep: async () => {} });
    expect(again).toMatchObject({ version: 2, resumed: true, rewrapped: 0, retired: [1] });
    expect((await masterKeys(db)).map((k) => k.version)).toEqual([1, 2]);
    await readable();
  });

  it('a node whose keyring still caches the old version rotates forward, never back to a retired one', async () => {
    const { database, vault, events } = await openNode();
    const db = database.db as RotationDb;
    const readable = await someOwners(20);
    const nodeA = vault.provider;
    const nodeB = new LocalMasterKeyProvider(root);
    expect(await nodeB.activeVersion(db)).toBe(1); // B caches v1 for the next 5 s.

    const first = await rotateMasterKey(db, { provider: nodeA, vault, events, sleep: async () => {} });
    expect(first).toMatchObject({ version: 2, resumed: false, retired: [1] });

    // The operator rotates again at once, and the admin socket happens to reach node B.
    const second = await rotateMasterKey(db, { provider: nodeB, vault, events, sleep: async () => {} });
    expect(second).toMatchObject({ version: 3, resumed: false, retired: [2] });
    expect(new Set(await dataKeyVersions(db))).toEqual(new Set([3]));
    const keys = await masterKeys(db);
    expect(keys.map((k) => [k.version, k.retiredAt === null])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    await readable();
  });
});

interface StatusJson {
  activeVersion: number;
  versions: { version: number; dataKeys: number; retiredAt: string | null }[];
}

describe('master key rotation with the real binary: SIGKILL mid-rotation, restart, resume', () => {
  let dataDir = '';
  let env: Record<string, string>;
  let server: RunningServer | undefined;
  let dropDatabase: () => Promise<void> = async () => {};

  afterAll(async () => {
    await server?.stop('SIGKILL');
    await dropDatabase();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function post(url: string, body: unknown) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** The running server's key status through its admin socket (what `bulwark keys status` asks). */
  async function liveStatus(): Promise<StatusJson> {
    const answer = await sendToRunningServer(dataDir, { name: 'keys.status' });
    if (!answer) throw new Error('no server on the admin socket');
    return answer.result as StatusJson;
  }

  const keysOn = (status: StatusJson, version: number) =>
    status.versions.find((v) => v.version === version)?.dataKeys ?? 0;

  /** Restarts on the same data; an embedded data directory's lock frees itself 10 s after a crash. */
  async function restart(): Promise<RunningServer> {
    const lock = path.join(dataDir, 'bulwark.lock');
    if (engine === 'pglite' && fs.existsSync(lock)) {
      await delay(Math.max(0, fs.statSync(lock).mtimeMs + 10_000 - Date.now()) + 250);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await startBulwark(env);
      } catch (error) {
        if (attempt >= 5 || !String(error).includes('in use')) throw error;
        await delay(1_000);
      }
    }
  }

  // Each sign-up costs one Argon2id hash (~25 ms of CPU); a re-wrap costs a few ms per data key. 400 data
  // keys keep the re-wrap pass busy for about a second on either engine.
  const SHOPPERS = 400;

  it(
    'resumes the interrupted rotation after kill -9 and leaves every shopper readable',
    async () => {
      dataDir = tempDataDir();
      ({ env, drop: dropDatabase } = await serverEnvironment(dataDir));
      server = await startBulwark(env);
      const url = server.url;

      const stamp = `${process.pid}-${Date.now()}`;
      const shoppers = Array.from({ length: SHOPPERS }, (_, i) => ({
        email: `rotation-${i}-${stamp}@example.test`,
        password: 'correct horse battery staple',
        fullName: `Test Shopper ${i}`,
      }));
      await inParallel(shoppers, 8, async (shopper) => {
        const registered = await post(`${url}/v1/auth/register`, { ...shopper, country: 'PL' });
        expect(registered.status).toBe(201);
      });
      const before = await liveStatus();
      expect(before.activeVersion).toBe(1);
      expect(keysOn(before, 1)).toBe(SHOPPERS);

      // Rotate in the background and watch until some, but not all, data keys are on v2; then kill -9.
      const rotate: { result: CommandResult | null } = { result: null };
      const rotating = runBulwark(['keys', 'rotate', '--json'], env).then((result) => {
        rotate.result = result;
        return result;
      });
      const deadline = Date.now() + 30_000;
      let seen: StatusJson | null = null;
      for (;;) {
        if (rotate.result) throw new Error(`keys rotate ended too soon: ${JSON.stringify(rotate.result)}`);
        const status = await liveStatus();
        if (status.activeVersion === 2) {
          const moved = keysOn(status, 2);
          expect(moved, 'the re-wrap finished before the server could be killed').toBeLessThan(SHOPPERS);
          if (moved > 0) {
            seen = status;
            break;
          }
        }
        if (Date.now() > deadline) throw new Error('the rotation never started');
        await delay(5);
      }
      await server.stop('SIGKILL'); // kill -9, mid-rotation
      server = undefined;
      const interrupted = await rotating;
      expect(interrupted.code, 'the rotate command reports the lost server').not.toBe(0);
      expect(keysOn(seen, 1)).toBeGreaterThan(0);

      server = await restart();
      const crashed = await runBulwark(['keys', 'status', '--json'], env);
      expect(crashed.code, crashed.stderr).toBe(0);
      const mixed = JSON.parse(crashed.stdout) as StatusJson;
      expect(mixed.activeVersion).toBe(2);
      expect(keysOn(mixed, 1), 'some data keys still on v1').toBeGreaterThan(0);
      expect(keysOn(mixed, 2), 'some data keys already on v2').toBeGreaterThan(0);
      expect(keysOn(mixed, 1) + keysOn(mixed, 2)).toBe(SHOPPERS);

      const resumed = await runBulwark(['keys', 'rotate', '--json'], env);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout)).toEqual({
        version: 2,
        resumed: true,
        rewrapped: keysOn(mixed, 1),
        retired: [1],
      });

      const after = await runBulwark(['keys', 'status', '--json'], env);
      expect(after.code, after.stderr).toBe(0);
      const done = JSON.parse(after.stdout) as StatusJson;
      expect(done.activeVersion).toBe(2);
      expect(keysOn(done, 2)).toBe(SHOPPERS);
      const olderLive = done.versions.filter((v) => v.version !== done.activeVersion && v.retiredAt === null);
      expect(olderLive.reduce((sum, v) => sum + v.dataKeys, 0)).toBe(0);
      expect(done.versions.find((v) => v.version === 1)?.retiredAt).not.toBeNull();

      await inParallel(shoppers, 8, async (shopper) => {
        const tokens = await post(`${server?.url}/v1/auth/token`, {
          email: shopper.email,
          password: shopper.password,
        });
        expect(tokens.status).toBe(200);
        const me = await fetch(`${server?.url}/v1/me`, {
          headers: { authorization: `Bearer ${tokens.body.accessToken}` },
        });
        expect(me.status).toBe(200);
        expect(await me.json()).toMatchObject({ email: shopper.email, fullName: shopper.fullName });
      });
    },
    RETIRE_GRACE_MS * 2 + 160_000,
  );
});
