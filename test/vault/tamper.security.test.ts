import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config/index.ts';
import { type Container, createContainer } from '../../src/container.ts';
import { ephemeralRootKey, type RootKey, rotateMasterKey } from '../../src/modules/vault/index.ts';
import type { BulwarkEvents } from '../../src/platform/events.ts';
import { addressBody, OrderFlow } from '../helpers/commerce-flows.ts';
import {
  Client,
  createTestApp,
  expectProblem,
  type Shopper,
  serveCapturingLogs,
  serverWords,
  signUp,
  staffClient,
  type TestApp,
} from '../helpers/test-app.ts';
import { createPostgresDatabase, engine } from '../helpers/test-database.ts';

/*
 * Every way a stored ciphertext or its data key can be wrong must fail closed: a 503
 * VAULT_DATA_UNREADABLE problem that shows nothing (no plaintext, not even someone else's) and a
 * `vault.decryption_failed` event for the security team, naming the table, column and row. Data that
 * was erased on purpose (a shredded key) is a 410 and no alarm.
 */

type Db = Kysely<unknown>;
type FailedEvent = BulwarkEvents['vault.decryption_failed'];

const AUTH_FAILED = 'authentication failed (tampered, moved or wrong key)';
const OTHER_OWNER = "ciphertext made with another owner's key";
const UNKNOWN_FORMAT = 'unknown ciphertext format';
const KEY_MISSING = 'data key missing';
const KEY_UNWRAP = 'data key could not be unwrapped';

const tag = () => randomBytes(5).toString('hex');
const distinctPhone = () => `+4860${[...randomBytes(7)].map((b) => String(b % 10)).join('')}`;

// Table and column names below are constants of this file, never input: sql.raw is safe here.
async function readColumn(db: Db, table: string, column: string, id: string): Promise<string> {
  const result = await sql<{ value: string }>`select ${sql.raw(column)} as value from ${sql.raw(
    table,
  )} where id = ${id}`.execute(db);
  const value = result.rows[0]?.value;
  if (typeof value !== 'string') throw new Error(`no ${table}.${column} for ${id}`);
  return value;
}

async function writeColumn(db: Db, table: string, column: string, id: string, value: string) {
  const result =
    await sql`update ${sql.raw(table)} set ${sql.raw(column)} = ${value} where id = ${id}`.execute(db);
  expect(result.numAffectedRows).toBe(1n);
}

/** `bw1.<keyId>.<nonce>.<body>` → its parts. */
function partsOf(ciphertext: string) {
  const [format, keyId, nonce, body] = ciphertext.split('.');
  if (format !== 'bw1' || !keyId || !nonce || !body) throw new Error(`not a field ciphertext: ${ciphertext}`);
  return { format, keyId, nonce, body };
}

function flipBit(base64url: string, byte: number, bit = 0): string {
  const bytes = Buffer.from(base64url, 'base64url');
  bytes[byte] = (bytes[byte] as number) ^ (1 << bit);
  return bytes.toString('base64url');
}

/** Records `vault.decryption_failed` events while `work` runs. */
async function capturing<T>(
  container: Container,
  work: () => Promise<T>,
): Promise<{ result: T; events: FailedEvent[] }> {
  const events: FailedEvent[] = [];
  const stop = container.events.on('vault.decryption_failed', (event) => {
    const { name: _name, at: _at, ...payload } = event;
    events.push(payload);
  });
  try {
    return { result: await work(), events };
  } finally {
    stop();
  }
}

/** A 503 VAULT_DATA_UNREADABLE problem that gives away nothing of any of `secrets`. */
function expectUnreadable(response: LightMyRequestResponse, secrets: readonly string[]) {
  const problem = expectProblem(response, 503);
  expect(problem.code).toBe('VAULT_DATA_UNREADABLE');
  expect(response.json().requestId).toMatch(/^req_/);
  for (const secret of secrets) expect(response.body).not.toContain(secret);
  expect(serverWords(response)).not.toMatch(/bw1\.|dk_|wrapped|nonce|aes|owner|tamper|authentication/i);
}

interface Victim extends Shopper {
  readonly fullName: string;
  readonly phone: string;
  readonly addresses: { id: string; line1: string; city: string; postalCode: string; phone: string }[];
}

/** A shopper with a profile and two addresses, all through the API. */
async function victim(test: { anonymous: Client; app: FastifyInstance } & Pick<TestApp, 'container'>) {
  const id = tag();
  const fullName = `Tamper Victim-${id}`;
  const phone = distinctPhone();
  const shopper = await signUp(test as TestApp, { fullName, phone });
  const addresses = [];
  for (const n of [1, 2]) {
    const body = addressBody({
      label: `Label ${n}-${id}`,
      recipientName: `Recipient ${n}-${id}`,
      line1: `ul. Tamperowa ${n}-${id}`,
      city: `City${n}${id}`,
      postalCode: `0${n}-${id.slice(0, 3)}`.replace(/[a-f]/g, '7'),
      phone: distinctPhone(),
    });
    const created = await shopper.client.post('/v1/me/addresses', body);
    expect(created.statusCode, created.body).toBe(201);
    addresses.push({
      id: created.json().id as string,
      line1: body.line1 as string,
      city: body.city as string,
      postalCode: body.postalCode as string,
      phone: body.phone as string,
    });
  }
  return { ...shopper, fullName, phone, addresses } satisfies Victim;
}

/** Every plaintext of a victim, none of which may appear in a failure. */
const secretsOf = (v: Victim) => [
  v.email,
  v.fullName,
  v.phone,
  v.phone.slice(1),
  ...v.addresses.flatMap((a) => [a.line1, a.city, a.postalCode, a.phone]),
];

describe('a tampered field ciphertext fails closed with a 503 and an alert', () => {
  let test: TestApp;
  let db: Db;

  beforeAll(async () => {
    test = await createTestApp();
    db = test.container.database.db as Db;
  });
  afterAll(() => test.close());

  interface Case {
    readonly name: string;
    readonly target: 'profile' | 'address';
    /** Changes the stored data; returns what the event must say and any extra plaintext to keep out. */
    tamper(v: Victim, other: Victim): Promise<{ event: FailedEvent; alsoSecret?: string[] }>;
  }

  const cases: Case[] = [
    {
      name: 'an address ciphertext copied onto another address of the same shopper (same column)',
      target: 'address',
      async tamper(v) {
        const [a, b] = v.addresses as [Victim['addresses'][0], Victim['addresses'][0]];
        await writeColumn(
          db,
          'addresses',
          'line1_enc',
          b.id,
          await readColumn(db, 'addresses', 'line1_enc', a.id),
        );
        return { event: { table: 'addresses', column: 'line1', rowId: b.id, reason: AUTH_FAILED } };
      },
    },
    {
      name: 'an address ciphertext copied from another shopper’s address',
      target: 'address',
      async tamper(v, other) {
        const b = v.addresses[1] as Victim['addresses'][0];
        const theirs = other.addresses[0] as Victim['addresses'][0];
        await writeColumn(
          db,
          'addresses',
          'line1_enc',
          b.id,
          await readColumn(db, 'addresses', 'line1_enc', theirs.id),
        );
        return {
          event: { table: 'addresses', column: 'line1', rowId: b.id, reason: OTHER_OWNER },
          alsoSecret: secretsOf(other),
        };
      },
    },
    {
      name: 'an address ciphertext copied into another column of the same row',
      target: 'address',
      async tamper(v) {
        const b = v.addresses[1] as Victim['addresses'][0];
        await writeColumn(
          db,
          'addresses',
          'city_enc',
          b.id,
          await readColumn(db, 'addresses', 'line1_enc', b.id),
        );
        return { event: { table: 'addresses', column: 'city', rowId: b.id, reason: AUTH_FAILED } };
      },
    },
    {
      name: 'one flipped bit in an address ciphertext',
      target: 'address',
      async tamper(v) {
        const b = v.addresses[1] as Victim['addresses'][0];
        const p = partsOf(await readColumn(db, 'addresses', 'postal_code_enc', b.id));
        const flipped = `${p.format}.${p.keyId}.${p.nonce}.${flipBit(p.body, 0, 3)}`;
        await writeColumn(db, 'addresses', 'postal_code_enc', b.id, flipped);
        return { event: { table: 'addresses', column: 'postal_code', rowId: b.id, reason: AUTH_FAILED } };
      },
    },
    {
      name: 'a truncated address ciphertext (last bytes of the tag cut off)',
      target: 'address',
      async tamper(v) {
        const b = v.addresses[1] as Victim['addresses'][0];
        const p = partsOf(await readColumn(db, 'addresses', 'recipient_name_enc', b.id));
        const body = Buffer.from(p.body, 'base64url');
        const cut = body.subarray(0, body.length - 4).toString('base64url');
        await writeColumn(db, 'addresses', 'recipient_name_enc', b.id, `bw1.${p.keyId}.${p.nonce}.${cut}`);
        return { event: { table: 'addresses', column: 'recipient_name', rowId: b.id, reason: AUTH_FAILED } };
      },
    },
    {
      name: 'an address ciphertext with an unknown format prefix',
      target: 'address',
      async tamper(v) {
        const b = v.addresses[1] as Victim['addresses'][0];
        const original = await readColumn(db, 'addresses', 'label_enc', b.id);
        await writeColumn(db, 'addresses', 'label_enc', b.id, `bw2${original.slice(3)}`);
        return { event: { table: 'addresses', column: 'label', rowId: b.id, reason: UNKNOWN_FORMAT } };
      },
    },
    {
      name: 'a profile ciphertext copied from another shopper’s row (same column)',
      target: 'profile',
      async tamper(v, other) {
        await writeColumn(
          db,
          'users',
          'email_enc',
          v.userId,
          await readColumn(db, 'users', 'email_enc', other.userId),
        );
        return {
          event: { table: 'users', column: 'email', rowId: v.userId, reason: OTHER_OWNER },
          alsoSecret: secretsOf(other),
        };
      },
    },
    {
      name: 'a profile ciphertext copied from the same shopper’s address (same key, another table and row)',
      target: 'profile',
      async tamper(v) {
        const a = v.addresses[0] as Victim['addresses'][0];
        await writeColumn(
          db,
          'users',
          'phone_enc',
          v.userId,
          await readColumn(db, 'addresses', 'phone_enc', a.id),
        );
        return { event: { table: 'users', column: 'phone', rowId: v.userId, reason: AUTH_FAILED } };
      },
    },
    {
      name: 'a profile ciphertext copied into another column of the same row',
      target: 'profile',
      async tamper(v) {
        await writeColumn(
          db,
          'users',
          'full_name_enc',
          v.userId,
          await readColumn(db, 'users', 'email_enc', v.userId),
        );
        return { event: { table: 'users', column: 'full_name', rowId: v.userId, reason: AUTH_FAILED } };
      },
    },
    {
      name: 'one flipped bit in a profile ciphertext',
      target: 'profile',
      async tamper(v) {
        const p = partsOf(await readColumn(db, 'users', 'email_enc', v.userId));
        const body = Buffer.from(p.body, 'base64url');
        const flipped = flipBit(p.body, body.length - 1, 7);
        await writeColumn(db, 'users', 'email_enc', v.userId, `bw1.${p.keyId}.${p.nonce}.${flipped}`);
        return { event: { table: 'users', column: 'email', rowId: v.userId, reason: AUTH_FAILED } };
      },
    },
    {
      name: 'one flipped bit in a profile ciphertext’s nonce',
      target: 'profile',
      async tamper(v) {
        const p = partsOf(await readColumn(db, 'users', 'full_name_enc', v.userId));
        const flipped = `bw1.${p.keyId}.${flipBit(p.nonce, 5, 1)}.${p.body}`;
        await writeColumn(db, 'users', 'full_name_enc', v.userId, flipped);
        return { event: { table: 'users', column: 'full_name', rowId: v.userId, reason: AUTH_FAILED } };
      },
    },
    {
      name: 'a profile ciphertext truncated to less than its tag',
      target: 'profile',
      async tamper(v) {
        const p = partsOf(await readColumn(db, 'users', 'full_name_enc', v.userId));
        const stub = Buffer.from(p.body, 'base64url').subarray(0, 8).toString('base64url');
        await writeColumn(db, 'users', 'full_name_enc', v.userId, `bw1.${p.keyId}.${p.nonce}.${stub}`);
        return { event: { table: 'users', column: 'full_name', rowId: v.userId, reason: AUTH_FAILED } };
      },
    },
    {
      name: 'a profile ciphertext truncated to its key ID and nonce',
      target: 'profile',
      async tamper(v) {
        const p = partsOf(await readColumn(db, 'users', 'phone_enc', v.userId));
        await writeColumn(db, 'users', 'phone_enc', v.userId, `bw1.${p.keyId}.${p.nonce}`);
        return { event: { table: 'users', column: 'phone', rowId: v.userId, reason: AUTH_FAILED } };
      },
    },
    {
      name: 'a profile ciphertext with an unknown format prefix',
      target: 'profile',
      async tamper(v) {
        const original = await readColumn(db, 'users', 'email_enc', v.userId);
        await writeColumn(db, 'users', 'email_enc', v.userId, `bw0${original.slice(3)}`);
        return { event: { table: 'users', column: 'email', rowId: v.userId, reason: UNKNOWN_FORMAT } };
      },
    },
    {
      name: 'a plaintext value written where a ciphertext belongs',
      target: 'profile',
      async tamper(v, other) {
        await writeColumn(db, 'users', 'phone_enc', v.userId, other.phone);
        return {
          event: { table: 'users', column: 'phone', rowId: v.userId, reason: UNKNOWN_FORMAT },
          alsoSecret: [other.phone],
        };
      },
    },
  ];

  for (const { name, target, tamper } of cases) {
    it(name, async () => {
      const v = await victim(test);
      const other = await victim(test);
      const { event, alsoSecret = [] } = await tamper(v, other);
      const url = target === 'profile' ? '/v1/me' : `/v1/me/addresses/${v.addresses[1]?.id}`;
      const { result: response, events } = await capturing(test.container, () => v.client.get(url));
      expectUnreadable(response, [...secretsOf(v), ...alsoSecret]);
      expect(events).toEqual([event]);
      // Still unreadable the second time: nothing was cached from the failed attempt.
      const again = await capturing(test.container, () => v.client.get(url));
      expectUnreadable(again.result, secretsOf(v));
      expect(again.events).toEqual([event]);
      // The untouched records of the same shopper and the other shopper read as before.
      if (target === 'address') {
        const untouched = await v.client.get(`/v1/me/addresses/${v.addresses[0]?.id}`);
        expect(untouched.statusCode).toBe(200);
        expect(untouched.json().line1).toBe(v.addresses[0]?.line1);
      }
      const theirs = await other.client.get('/v1/me');
      expect(theirs.statusCode).toBe(200);
      expect(theirs.json()).toMatchObject({
        email: other.email,
        fullName: other.fullName,
        phone: other.phone,
      });
    });
  }

  it('an untampered shopper reads every field, so the failures above are the tampering and nothing else', async () => {
    const v = await victim(test);
    const { result, events } = await capturing(test.container, async () => ({
      me: await v.client.get('/v1/me'),
      address: await v.client.get(`/v1/me/addresses/${v.addresses[1]?.id}`),
    }));
    expect(result.me.json()).toMatchObject({ email: v.email, fullName: v.fullName, phone: v.phone });
    expect(result.address.json()).toMatchObject({
      line1: v.addresses[1]?.line1,
      city: v.addresses[1]?.city,
      postalCode: v.addresses[1]?.postalCode,
      phone: v.addresses[1]?.phone,
    });
    expect(events).toEqual([]);
  });

  it('a shredded owner’s data answers 410 VAULT_DATA_ERASED, and raises no alarm', async () => {
    const v = await victim(test);
    const erasedEvents: unknown[] = [];
    const stopErased = test.container.events.on('vault.data_key_shredded', (e) => erasedEvents.push(e));
    const { vault } = test.container;
    const keyId = await db.transaction().execute((trx) => vault.shred(trx, v.userId));
    expect(keyId).toMatch(/^dk_/);
    vault.confirmShred(keyId as string, v.userId);
    stopErased();
    expect(erasedEvents).toEqual([expect.objectContaining({ ownerId: v.userId })]);

    const { result, events } = await capturing(test.container, async () => ({
      me: await v.client.get('/v1/me'),
      addresses: await Promise.all(v.addresses.map((a) => v.client.get(`/v1/me/addresses/${a.id}`))),
      list: await v.client.get('/v1/me/addresses'),
    }));
    for (const response of [result.me, ...result.addresses, result.list]) {
      expect(expectProblem(response, 410).code).toBe('VAULT_DATA_ERASED');
      for (const secret of secretsOf(v)) expect(response.body).not.toContain(secret);
    }
    expect(events).toEqual([]);
  });

  it('an account deleted by its owner is 410 to staff who open it, with no alarm', async () => {
    const v = await victim(test);
    const flow = new OrderFlow(test);
    const orderId = await flow.create(v.client);
    const deleted = await v.client.request('DELETE', '/v1/me', { password: v.password });
    expect(deleted.statusCode, deleted.body).toBe(204);
    const support = await staffClient(test, 'support');
    const { result, events } = await capturing(test.container, async () => ({
      customer: await support.get(`/v1/staff/customers/${v.userId}`),
      reveal: await support.post(`/v1/staff/customers/${v.userId}/reveal`, {
        fields: ['fullName', 'email'],
        reason: 'customer called about a refund',
      }),
      order: await support.get(`/v1/staff/orders/${orderId}`),
    }));
    for (const response of Object.values(result)) {
      expect(expectProblem(response, 410).code).toBe('VAULT_DATA_ERASED');
      for (const secret of secretsOf(v)) expect(response.body).not.toContain(secret);
    }
    expect(events).toEqual([]);
  });
});

/*
 * A data key row that was tampered with (deleted, pointed at another master key version, its wrapping
 * altered or swapped) can only be noticed when the key is unwrapped, and a running process keeps the
 * keys it has unwrapped in memory. So the rows are changed while one process runs, and the requests go
 * to a fresh process on the same database, as after a restart or on another node.
 */
const KEY_CASES: [name: string, who: string, reason: string][] = [
  ['a deleted data key row', 'missing', KEY_MISSING],
  ['master_version set to a version that does not exist', 'unknownVersion', KEY_UNWRAP],
  ['master_version set to an existing version retired by the rotation', 'retiredVersion', KEY_UNWRAP],
  [
    'column and wrapping both relabelled as a version that does not exist',
    'unknownVersionRelabelled',
    KEY_UNWRAP,
  ],
  ['column and wrapping both relabelled as the retired version', 'retiredVersionRelabelled', KEY_UNWRAP],
  ['column and wrapping both relabelled as another live version', 'liveVersionRelabelled', KEY_UNWRAP],
  ['one flipped bit in a wrapped data key', 'flipped', KEY_UNWRAP],
  ['another owner’s valid wrapped data key copied onto the row', 'swapped', KEY_UNWRAP],
];

describe('a tampered data key row fails closed in a fresh process', () => {
  const root: RootKey = ephemeralRootKey();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-tamper-'));
  let database: Awaited<ReturnType<typeof createPostgresDatabase>> | null = null;
  let config: Config;
  let node: Awaited<ReturnType<typeof startNode>> | null = null;

  /** The real server on the shared database, with the shared root key; logs go to the suite's scan. */
  async function startNode() {
    const container = await createContainer(config, { inMemory: false, rootKey: root, poolSize: 5 });
    await container.migrate();
    const app = await serveCapturingLogs(container);
    await app.ready();
    return {
      app,
      container,
      anonymous: new Client(app),
      async close() {
        await app.close();
        await container.close();
      },
    };
  }

  /** A shopper's client, re-pointed at another node: the bearer token lives in the shared database. */
  const on = (n: NonNullable<typeof node>, v: Victim) => new Client(n.app, v.client.headers);

  const victims: Record<string, Victim> = {};
  const originalKeys: Record<string, { wrappedKey: string; masterVersion: number }> = {};

  beforeAll(async () => {
    if (engine === 'postgres') database = await createPostgresDatabase();
    config = loadConfig({
      NODE_ENV: 'test',
      BULWARK_DATA_DIR: dataDir,
      ...(database ? { DATABASE_URL: database.url } : {}),
    });
    const first = await startNode();
    node = first;
    for (const name of KEY_CASES.map(([, who]) => who).concat('control')) {
      victims[name] = await victim(first);
    }
    const db = first.container.database.db as Db;
    const { vault, events } = first.container;
    const rotation = await rotateMasterKey(db, {
      provider: vault.provider,
      vault,
      events,
      sleep: async () => {},
    });
    expect(rotation).toMatchObject({ version: 2, retired: [1] });
    // A third version, live and active, that wraps nothing yet.
    expect(await vault.provider.createVersion(db)).toBe(3);

    const keyRow = async (who: string) => {
      const v = victims[who] as Victim;
      const result = await sql<{ id: string; wrappedKey: string; masterVersion: number }>`
        select id, wrapped_key, master_version from vault_data_keys where owner_id = ${v.userId}`.execute(db);
      const row = result.rows[0];
      if (!row) throw new Error('no data key');
      originalKeys[v.userId] ??= { wrappedKey: row.wrappedKey, masterVersion: row.masterVersion };
      return row;
    };
    const set = async (who: string, wrappedKey: string, masterVersion: number) => {
      const result = await sql`update vault_data_keys set wrapped_key = ${wrappedKey},
        master_version = ${masterVersion} where owner_id = ${(victims[who] as Victim).userId}`.execute(db);
      expect(result.numAffectedRows).toBe(1n);
    };
    // Every key was rewrapped by the rotation: version 1 wraps nothing and is retired.
    for (const who of Object.keys(victims)) expect((await keyRow(who)).masterVersion).toBe(2);
    const relabel = (wrapped: string, version: number) =>
      `v${version}.${wrapped.split('.').slice(1).join('.')}`;

    // Nothing references vault_data_keys, so its row can simply disappear (a partial restore, say).
    const { id: missingId } = await keyRow('missing');
    await sql`delete from vault_data_keys where id = ${missingId}`.execute(db);
    // The column alone changed: the wrapping still says v2.
    await set('unknownVersion', (await keyRow('unknownVersion')).wrappedKey, 99);
    await set('retiredVersion', (await keyRow('retiredVersion')).wrappedKey, 1);
    // Column and wrapping agree on another version: the keyring itself must refuse.
    await set(
      'unknownVersionRelabelled',
      relabel((await keyRow('unknownVersionRelabelled')).wrappedKey, 99),
      99,
    );
    await set(
      'retiredVersionRelabelled',
      relabel((await keyRow('retiredVersionRelabelled')).wrappedKey, 1),
      1,
    );
    // Version 3 exists and is live: only the AEAD under v3's key can tell.
    await set('liveVersionRelabelled', relabel((await keyRow('liveVersionRelabelled')).wrappedKey, 3), 3);
    const [prefix, nonce, body] = (await keyRow('flipped')).wrappedKey.split('.') as [string, string, string];
    await set('flipped', `${prefix}.${nonce}.${flipBit(body, 3, 2)}`, 2);
    // A valid wrapped key, but another owner's, copied onto this owner's row.
    await set('swapped', (await keyRow('control')).wrappedKey, 2);

    await first.close();
    node = await startNode();
  });

  afterAll(async () => {
    await node?.close();
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('the untouched shopper reads everything in the fresh process, after the rotation', async () => {
    const n = node as NonNullable<typeof node>;
    const v = victims.control as Victim;
    const { result, events } = await capturing(n.container, async () => ({
      me: await on(n, v).get('/v1/me'),
      address: await on(n, v).get(`/v1/me/addresses/${v.addresses[0]?.id}`),
    }));
    expect(result.me.json()).toMatchObject({ email: v.email, fullName: v.fullName, phone: v.phone });
    expect(result.address.json()).toMatchObject({ line1: v.addresses[0]?.line1 });
    expect(events).toEqual([]);
  });

  it.each(KEY_CASES)('%s: profile and addresses are 503 with an alert', async (_name, who, reason) => {
    const n = node as NonNullable<typeof node>;
    const v = victims[who] as Victim;
    for (const attempt of [1, 2]) {
      const { result, events } = await capturing(n.container, async () => ({
        me: await on(n, v).get('/v1/me'),
        address: await on(n, v).get(`/v1/me/addresses/${v.addresses[1]?.id}`),
      }));
      expectUnreadable(result.me, [...secretsOf(v), ...secretsOf(victims.control as Victim)]);
      expectUnreadable(result.address, [...secretsOf(v), ...secretsOf(victims.control as Victim)]);
      expect(events, `attempt ${attempt}`).toEqual([
        { table: 'users', column: 'email', rowId: v.userId, reason },
        { table: 'addresses', column: 'label', rowId: v.addresses[1]?.id, reason },
      ]);
    }
  });

  it('restoring the original row brings the data back, so each refusal above was the tampering', async () => {
    const n = node as NonNullable<typeof node>;
    const db = n.container.database.db as Db;
    const v = victims.unknownVersion as Victim;
    const original = originalKeys[v.userId] as { wrappedKey: string; masterVersion: number };
    await sql`update vault_data_keys set wrapped_key = ${original.wrappedKey},
      master_version = ${original.masterVersion} where owner_id = ${v.userId}`.execute(db);
    const me = await on(n, v).get('/v1/me');
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json()).toMatchObject({ email: v.email, fullName: v.fullName });
  });
});
