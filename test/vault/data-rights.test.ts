import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RevealRequest } from '../../src/modules/vault/index.ts';
import { AppError } from '../../src/platform/errors.ts';
import type { BulwarkEvents } from '../../src/platform/events.ts';
import { addressBody, idempotencyKey, OrderFlow, orderBody, PNG_1X1 } from '../helpers/commerce-flows.ts';
import {
  Client,
  createTestApp,
  expectProblem,
  logIn,
  type Shopper,
  signUp,
  staffClient,
  type TestApp,
} from '../helpers/test-app.ts';

/*
 * The shopper's rights over their data: a complete export, decrypted for them alone, and erasure by
 * crypto-shredding, which must hold even against a restored backup. And what support staff see of a
 * shopper: masked values, the clear ones only through a reveal that names its reason, passes the budget
 * and the trail first, and is recorded.
 */

type Db = Kysely<unknown>;
type Revealed = BulwarkEvents['vault.pii_revealed'];

const tag = () => randomBytes(5).toString('hex');
const digits = (n: number) => [...randomBytes(n)].map((b) => String(b % 10)).join('');
const PASSWORD = 'a long and secret shopper password';

function expectOk(response: LightMyRequestResponse, status = 200) {
  if (response.statusCode !== status) {
    throw new Error(`expected ${status}, got ${response.statusCode}: ${response.body}`);
  }
  return response.json();
}

/** Registers through the API with the given e-mail (signUp always makes its own) and logs in. */
async function register(test: TestApp, fields: { email: string; fullName: string; phone: string }) {
  expectOk(
    await test.anonymous.post('/v1/auth/register', { ...fields, password: PASSWORD, country: 'PL' }),
    201,
  );
  return logIn(test, fields.email, PASSWORD);
}

/** Logs in from a given address and user agent, as `inject` lets the test choose the peer. */
function logInFrom(test: TestApp, email: string, ip: string, url = '/v1/auth/token', password = PASSWORD) {
  return test.app.inject({
    method: 'POST',
    url,
    payload: { email, password },
    headers: { 'user-agent': `Erasure-Test-Agent/${ip}` },
    remoteAddress: ip,
  });
}

async function dataKeyRow(db: Db, ownerId: string) {
  const result = await sql<{
    id: string;
    ownerId: string;
    wrappedKey: string | null;
    masterVersion: number;
    createdAt: Date;
    shreddedAt: Date | null;
  }>`select * from vault_data_keys where owner_id = ${ownerId}`.execute(db);
  return result.rows[0];
}

describe('export and erasure of a shopper’s data', () => {
  let test: TestApp;
  let db: Db;
  let flow: OrderFlow;
  // The shopper with a full history, exported and then erased.
  let subject: Shopper;
  const id = tag();
  const profile = {
    email: `erasure-${id}@example.test`,
    fullName: `Bożena Erasable-${id}`,
    phone: `+4869${digits(7)}`,
  };
  const ips = ['198.51.100.23', '2001:db8::23', '203.0.113.77', '198.51.100.99'];
  const note = `Leave it with the neighbour ${id}`;
  const options = `size M, monogram ${id}`;
  const draftNote = `Just thinking about it ${id}`;
  let addresses: { id: string; line1: string; label: string }[] = [];
  let orderId: string;
  let draftId: string;
  let parcelId: string;
  let cookieClient: Client;

  beforeAll(async () => {
    test = await createTestApp();
    db = test.container.database.db as Db;
    flow = new OrderFlow(test);
    subject = await register(test, profile);
    for (const [index, ip] of ips.slice(0, 2).entries()) {
      expect((await logInFrom(test, profile.email, ip)).statusCode, `login ${index}`).toBe(200);
    }
    const web = await logInFrom(test, profile.email, ips[2] as string, '/v1/auth/login');
    expect(web.statusCode).toBe(200);
    cookieClient = new Client(test.app, {
      cookie: String(web.headers['set-cookie']).split(';')[0] as string,
    });
    expect(
      (await logInFrom(test, profile.email, ips[3] as string, '/v1/auth/token', 'wrong!')).statusCode,
    ).toBe(401);

    for (const n of [1, 2]) {
      const [label, line1] = [`Place ${n} ${id}`, `ul. Kasowana ${n} ${id}`];
      const created = expectOk(
        await subject.client.post('/v1/me/addresses', addressBody({ label, line1 })),
        201,
      );
      addresses.push({ id: created.id, line1, label });
    }
    addresses = addresses.sort((a, b) => a.id.localeCompare(b.id));

    // One order all the way to delivery, paid to the last fen, so the account may close afterwards.
    const { client } = subject;
    orderId = await flow.create(
      client,
      orderBody({
        items: [
          {
            link: 'https://item.taobao.com/item.htm?id=6543210987',
            title: 'Jacket',
            options,
            quantity: 1,
            unitPrice: 10_000,
          },
        ],
        domesticShipping: 500,
        note,
      }),
    );
    const total = (await client.get(`/v1/orders/${orderId}`)).json().total;
    await flow.topUp(client, total);
    await flow.step(client, `/v1/orders/${orderId}/pay`, undefined, { 'idempotency-key': idempotencyKey() });
    const warehouse = await flow.warehouse;
    const staff = (action: string, body?: unknown) =>
      flow.step(warehouse, `/v1/staff/orders/${orderId}/${action}`, body);
    await staff('purchasing');
    await staff('purchased');
    await staff('arrival', { weightGrams: 400 });
    expectOk(
      await warehouse.request('POST', `/v1/staff/orders/${orderId}/photos`, PNG_1X1, {
        'content-type': 'image/png',
      }),
      201,
    );
    await staff('qc-ready');
    await flow.step(client, `/v1/orders/${orderId}/approve`);
    const parcel = expectOk(
      await client.post('/v1/parcels', {
        orderIds: [orderId],
        shippingLine: 'eu-tax-free',
        addressId: addresses[0]?.id,
        declaredValue: 10_000,
      }),
      201,
    );
    parcelId = parcel.id;
    const packed = await flow.step(warehouse, `/v1/staff/parcels/${parcelId}/pack`, { weightGrams: 400 });
    await flow.topUp(client, packed.shippingFee);
    await flow.step(client, `/v1/parcels/${parcelId}/pay`, undefined, {
      'idempotency-key': idempotencyKey(),
    });
    await flow.step(warehouse, `/v1/staff/parcels/${parcelId}/ship`, { trackingNumber: 'LX987654321CN' });
    await flow.step(warehouse, `/v1/staff/parcels/${parcelId}/delivered`);
    // And a draft, which erasure withdraws.
    draftId = await flow.create(
      client,
      orderBody({
        items: [
          {
            link: 'https://item.jd.com/100012043978.html',
            title: 'Lamp',
            options,
            quantity: 1,
            unitPrice: 5_000,
          },
        ],
        domesticShipping: 0,
        note: draftNote,
      }),
    );
  });
  afterAll(() => test.close());

  it('GET /v1/me/export holds everything, decrypted, for the owner alone', async () => {
    const response = await subject.client.get('/v1/me/export');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['content-disposition']).toBe('attachment; filename="bulwark-export.json"');
    const data = response.json();

    expect(data.profile).toMatchObject({ id: subject.userId, ...profile, country: 'PL' });
    expect(
      data.addresses.map((a: { id: string; line1: string; label: string }) => ({
        id: a.id,
        line1: a.line1,
        label: a.label,
      })),
    ).toEqual(expect.arrayContaining(addresses));
    expect(data.addresses).toHaveLength(2);
    expect(data.addresses[0]).toMatchObject({
      recipientName: 'Anna Kowalska',
      city: 'Warszawa',
      phone: '+48601234567',
    });

    const byId = new Map(data.orders.map((o: { id: string }) => [o.id, o]));
    expect(data.orders).toHaveLength(2);
    expect(byId.get(orderId)).toMatchObject({
      status: 'delivered',
      note,
      items: [{ options, title: 'Jacket' }],
    });
    expect(byId.get(draftId)).toMatchObject({ status: 'draft', note: draftNote, items: [{ options }] });

    expect(data.parcels).toEqual([
      expect.objectContaining({
        id: parcelId,
        status: 'delivered',
        address: expect.objectContaining({ line1: addresses[0]?.line1, recipientName: 'Anna Kowalska' }),
      }),
    ]);

    expect(data.wallet.balance).toBe(0);
    expect(data.wallet.transactions.map((t: { kind: string }) => t.kind).sort()).toEqual([
      'order_payment',
      'shipping_payment',
      'top_up',
      'top_up',
    ]);

    // Four sessions (sign-up login, two API logins, one web login), each with its device and address.
    expect(data.sessions).toHaveLength(4);
    expect(data.sessions.map((s: { userAgent: string }) => s.userAgent)).toEqual(
      expect.arrayContaining(ips.slice(0, 3).map((ip) => `Erasure-Test-Agent/${ip}`)),
    );
    expect(data.sessions.map((s: { ip: string }) => s.ip)).toEqual(expect.arrayContaining(ips.slice(0, 3)));

    // Five attempts: four successful logins and one wrong password, each with its address.
    expect(data.logins).toHaveLength(5);
    expect(data.logins.map((l: { ip: string }) => l.ip).sort()).toEqual(['127.0.0.1', ...ips].sort());
    expect(data.logins.filter((l: { success: boolean }) => !l.success)).toEqual([
      expect.objectContaining({ ip: ips[3], network: '198.51.100.0/24' }),
    ]);

    // Decrypted means decrypted: no ciphertext, and no credential digest, travels in the file.
    expect(response.body).not.toMatch(/bw1\./);
    expect(response.body).not.toMatch(/"[a-zA-Z]*(Hash|Enc)"/);

    // Another shopper's export holds none of it.
    const other = await signUp(test);
    const theirs = await other.client.get('/v1/me/export');
    for (const secret of [profile.email, profile.fullName, note, options, ...ips.slice(0, 3)]) {
      expect(theirs.body).not.toContain(secret);
    }
  });

  it('DELETE /v1/me with a wrong password is 401 and changes nothing', async () => {
    const before = await dataKeyRow(db, subject.userId);
    const response = await subject.client.request('DELETE', '/v1/me', { password: 'not my password' });
    expect(expectProblem(response, 401).code).toBe('IDENTITY_INVALID_CREDENTIALS');
    expect(await dataKeyRow(db, subject.userId)).toEqual(before);
    expect(before?.wrappedKey).toMatch(/^v\d+\./);
    expect((await subject.client.get('/v1/me')).json()).toMatchObject(profile);
    expect((await subject.client.get('/v1/me/addresses')).json().items).toHaveLength(2);
    expect((await subject.client.get(`/v1/orders/${draftId}`)).json().status).toBe('draft');
  });

  it('DELETE /v1/me while an order is in flight, or money is in the wallet, is 409 and changes nothing', async () => {
    // An order paid to the last fen and not yet delivered: the wallet is empty, the order is not.
    const paying = await signUp(test);
    const id = await flow.create(paying.client);
    await flow.topUp(paying.client, (await paying.client.get(`/v1/orders/${id}`)).json().total);
    await flow.step(paying.client, `/v1/orders/${id}/pay`, undefined, {
      'idempotency-key': idempotencyKey(),
    });
    expect((await paying.client.get('/v1/wallet')).json().balance).toBe(0);
    // Money and nothing else.
    const saving = await signUp(test);
    await flow.topUp(saving.client, 1_000);

    for (const shopper of [paying, saving]) {
      const key = await dataKeyRow(db, shopper.userId);
      const response = await shopper.client.request('DELETE', '/v1/me', { password: shopper.password });
      expect(expectProblem(response, 409).code).toBe('COMMERCE_ACCOUNT_BUSY');
      expect(await dataKeyRow(db, shopper.userId)).toEqual(key);
      expect((await shopper.client.get('/v1/me')).statusCode).toBe(200);
      expect((await logIn(test, shopper.email, shopper.password)).userId).toBe(shopper.userId);
    }
  });

  it('DELETE /v1/me destroys the data key: every copy of the data, a restored backup included, is noise', async () => {
    const { vault } = test.container;
    const userId = subject.userId;
    // The backup an operator took before the deletion.
    const backup = await dataKeyRow(db, userId);
    expect(backup?.wrappedKey).toBeTruthy();
    const shredded: unknown[] = [];
    const stop = test.container.events.on('vault.data_key_shredded', (e) => shredded.push(e));

    const deleted = await subject.client.request('DELETE', '/v1/me', { password: PASSWORD });
    stop();
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect(shredded).toEqual([expect.objectContaining({ ownerId: userId })]);

    // Every way in is closed.
    expectProblem(await subject.client.get('/v1/me'), 401);
    expectProblem(await cookieClient.get('/v1/me'), 401);
    const login = await test.anonymous.post('/v1/auth/token', { email: profile.email, password: PASSWORD });
    expect(expectProblem(login, 401).code).toBe('IDENTITY_INVALID_CREDENTIALS');

    // The e-mail address is free again, for a new account that shares nothing with the old one.
    const again = await register(test, { ...profile, fullName: 'Somebody New' });
    expect(again.userId).not.toBe(userId);
    expect((await again.client.get('/v1/me')).json()).toMatchObject({
      email: profile.email,
      fullName: 'Somebody New',
    });
    expect((await again.client.get('/v1/me/addresses')).json().items).toEqual([]);
    expect((await again.client.get('/v1/orders')).json().items).toEqual([]);
    const support = await staffClient(test, 'support');
    const found = await support.get(`/v1/staff/customers?email=${encodeURIComponent(profile.email)}`);
    expect(found.json().items.map((c: { id: string }) => c.id)).toEqual([again.userId]);

    // The key row keeps no key material; the account row keeps only what the books need.
    const key = await dataKeyRow(db, userId);
    expect(key).toMatchObject({ id: backup?.id, wrappedKey: null, shreddedAt: expect.any(Date) });
    const user = (
      await sql<{ status: string; emailIndex: string; phoneIndex: string | null; passwordHash: string }>`
        select status, email_index, phone_index, password_hash from users where id = ${userId}`.execute(db)
    ).rows[0];
    expect(user).toEqual({
      status: 'deleted',
      emailIndex: `deleted:${userId}`,
      phoneIndex: null,
      passwordHash: 'deleted',
    });
    const count = async (query: RawBuilder<{ n: string }>) => Number((await query.execute(db)).rows[0]?.n);
    expect(
      await count(sql<{ n: string }>`select count(*) as n from addresses where user_id = ${userId}`),
    ).toBe(0);
    expect(
      await count(
        sql<{
          n: string;
        }>`select count(*) as n from sessions where user_id = ${userId} and revoked_at is null`,
      ),
    ).toBe(0);
    const statuses = await sql<{ id: string; status: string }>`
      select id, status from orders where user_id = ${userId}`.execute(db);
    expect(Object.fromEntries(statuses.rows.map((r) => [r.id, r.status]))).toEqual({
      [orderId]: 'delivered',
      [draftId]: 'withdrawn',
    });
    // The shred log, kept apart from the database, names the key.
    const log = fs.readFileSync(path.join(test.config.dataDir, 'shredded-keys.log'), 'utf8');
    expect(log.split('\n')).toContain(backup?.id);

    // What is left of the shopper's data in the database: ciphertexts that no one can open any more.
    const left = await sql<{ tbl: string; col: string; rowId: string; ciphertext: string }>`
      select 'users' as tbl, 'email' as col, id as row_id, email_enc as ciphertext from users where id = ${userId}
      union all select 'users', 'full_name', id, full_name_enc from users where id = ${userId}
      union all select 'users', 'phone', id, phone_enc from users where id = ${userId}
      union all select 'orders', 'note', id, note_enc from orders where user_id = ${userId}
      union all select 'order_items', 'options', i.id, i.options_enc
        from order_items i join orders o on o.id = i.order_id where o.user_id = ${userId}
      union all select 'parcels', 'address', id, address_enc from parcels where user_id = ${userId}
      union all select 'login_events', 'ip', user_id, ip_enc from login_events where user_id = ${userId}
      union all select 'sessions', 'ip', id, ip_enc from sessions where user_id = ${userId}
      union all select 'sessions', 'user_agent', id, user_agent_enc from sessions where user_id = ${userId}
    `.execute(db);
    const fields = left.rows.filter((row) => row.ciphertext !== null);
    const tally = (rows: typeof fields) =>
      rows.reduce<Record<string, number>>((acc, r) => {
        acc[`${r.tbl}.${r.col}`] = (acc[`${r.tbl}.${r.col}`] ?? 0) + 1;
        return acc;
      }, {});
    expect(tally(fields)).toEqual({
      'users.email': 1,
      'users.full_name': 1,
      'users.phone': 1,
      'orders.note': 2,
      'order_items.options': 2,
      'parcels.address': 1,
      'login_events.ip': 5,
      'sessions.ip': 4,
      'sessions.user_agent': 4,
    });
    const openAll = () =>
      Promise.allSettled(
        fields.map((f) =>
          vault.openOwn(db, userId, { table: f.tbl, column: f.col, rowId: f.rowId }, f.ciphertext),
        ),
      );
    const codes = (results: PromiseSettledResult<string>[]) =>
      results.map((r) =>
        r.status === 'rejected' ? (r.reason as { code?: string }).code : `opened: ${r.value}`,
      );
    const erased = fields.map(() => 'VAULT_DATA_ERASED');
    expect(codes(await openAll())).toEqual(erased);

    // An old backup is restored: the key row comes back as it was before the deletion...
    await sql`delete from vault_data_keys where id = ${backup?.id}`.execute(db);
    await sql`insert into vault_data_keys (id, owner_id, wrapped_key, master_version, created_at, shredded_at)
      values (${backup?.id}, ${userId}, ${backup?.wrappedKey}, ${backup?.masterVersion}, ${backup?.createdAt}, null)`.execute(
      db,
    );
    // ...and with it the data (which is exactly why the shred log exists).
    const email = fields.find((f) => f.tbl === 'users' && f.col === 'email');
    expect(
      await vault.openOwn(
        db,
        userId,
        { table: 'users', column: 'email', rowId: userId },
        email?.ciphertext as string,
      ),
    ).toBe(profile.email);
    // Replaying the shred log (done at every start) destroys the key again and forgets any copy in memory.
    expect(await vault.replayShredLog(db)).toBe(1);
    expect(await dataKeyRow(db, userId)).toMatchObject({ wrappedKey: null, shreddedAt: expect.any(Date) });
    expect(codes(await openAll())).toEqual(erased);
    expect(await vault.replayShredLog(db)).toBe(0);
    expectProblem(await support.get(`/v1/staff/customers/${userId}`), 410);
  });

  it('a key shredded by another node (or a shred-log replay there) stops opening data here within seconds', async () => {
    const shopper = await signUp(test, { fullName: 'Elsewhere Erased' });
    const support = await staffClient(test, 'support');
    // This process has unwrapped the shopper's key and keeps it in memory.
    expect((await support.get(`/v1/staff/customers/${shopper.userId}`)).json().fullName).toBe('Elsewhere E.');
    expect((await shopper.client.get('/v1/me')).json().fullName).toBe('Elsewhere Erased');
    // Another API node erases the account: the key row is shredded behind this process's back.
    await sql`update vault_data_keys set wrapped_key = null, shredded_at = now()
      where owner_id = ${shopper.userId}`.execute(db);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 6_000);
      expect(expectProblem(await support.get(`/v1/staff/customers/${shopper.userId}`), 410).code).toBe(
        'VAULT_DATA_ERASED',
      );
      const me = await shopper.client.get('/v1/me');
      expect(expectProblem(me, 410).code).toBe('VAULT_DATA_ERASED');
      expect(me.body).not.toContain('Elsewhere');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('what support staff see of a shopper', () => {
  let test: TestApp;
  let subject: Shopper;
  let addressId: string;
  let support: Client;
  let supportId: string;
  const id = tag();
  const email = `anna.${id}@example.test`;
  // Ends in 4567, and unique, so the phone look-up finds this shopper alone.
  const phone = `+4860${digits(3)}4567`;
  const reason = 'Customer asked by phone to confirm the delivery address';
  const clearValues = [email, 'Anna Kowalska', 'Kowalska', phone, phone.slice(1), 'Marszałkowska', '00-950'];
  const revealEvents: Revealed[] = [];
  let stopListening: () => void;

  beforeAll(async () => {
    test = await createTestApp();
    subject = await register(test, { email, fullName: 'Anna Kowalska', phone });
    addressId = expectOk(await subject.client.post('/v1/me/addresses', addressBody()), 201).id;
    support = await staffClient(test, 'support');
    supportId = (await support.get('/v1/me')).json().id;
    stopListening = test.container.events.on('vault.pii_revealed', (event) => {
      const { name: _name, at: _at, ...payload } = event;
      revealEvents.push(payload);
    });
  });
  afterAll(async () => {
    stopListening();
    await test.close();
  });

  const revealAll = (client: Client, why = reason) =>
    client.post(`/v1/staff/customers/${subject.userId}/reveal`, {
      fields: ['fullName', 'email', 'phone', 'addresses'],
      reason: why,
    });
  const noClearValues = (response: LightMyRequestResponse) => {
    for (const value of clearValues) expect(response.body).not.toContain(value);
  };

  it('a support agent sees the customer masked: first name and initial, j***@…, +48 *** *** 4567, city and country', async () => {
    revealEvents.length = 0;
    const response = await support.get(`/v1/staff/customers/${subject.userId}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      id: subject.userId,
      country: 'PL',
      createdAt: expect.any(String),
      fullName: 'Anna K.',
      email: 'a***@example.test',
      phone: '+48 *** *** 4567',
      orderCount: 0,
      addresses: [{ id: addressId, city: 'Warszawa', country: 'PL' }],
    });
    noClearValues(response);
    expect(revealEvents).toEqual([]);
  });

  it('a reveal with a reason returns the clear values and records who, whose, what and why', async () => {
    revealEvents.length = 0;
    const response = await revealAll(support);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({
      id: subject.userId,
      fullName: 'Anna Kowalska',
      email,
      phone,
      addresses: [
        {
          id: addressId,
          country: 'PL',
          recipientName: 'Anna Kowalska',
          phone: '+48601234567',
          line1: 'ul. Marszałkowska 10',
          line2: null,
          city: 'Warszawa',
          region: null,
          postalCode: '00-950',
        },
      ],
    });
    expect(revealEvents).toHaveLength(1);
    expect(revealEvents[0]).toEqual({
      actorId: supportId,
      actorRole: 'support',
      subjectId: subject.userId,
      fields: expect.arrayContaining([
        'fullName',
        'email',
        'phone',
        `${addressId}.line1`,
        `${addressId}.city`,
      ]),
      purpose: reason,
    });

    // Only what was asked for.
    revealEvents.length = 0;
    const one = await support.post(`/v1/staff/customers/${subject.userId}/reveal`, {
      fields: ['email'],
      reason,
    });
    expect(one.json()).toEqual({ id: subject.userId, email });
    expect(revealEvents).toEqual([expect.objectContaining({ fields: ['email'], subjectId: subject.userId })]);
  });

  it('warehouse and finance staff, and shoppers, may neither view, reveal nor look up customers', async () => {
    revealEvents.length = 0;
    const others = [await staffClient(test, 'warehouse'), await staffClient(test, 'finance'), subject.client];
    for (const client of others) {
      for (const response of [
        await client.get(`/v1/staff/customers/${subject.userId}`),
        await revealAll(client),
        await client.get(`/v1/staff/customers?email=${encodeURIComponent(email)}`),
      ]) {
        expect(expectProblem(response, 403).code).toBe('IDENTITY_FORBIDDEN');
        noClearValues(response);
      }
    }
    expect(revealEvents).toEqual([]);
  });

  it('a reveal needs a reason of at least 10 characters', async () => {
    revealEvents.length = 0;
    for (const why of ['because', '         ', '']) {
      const response = await revealAll(support, why);
      const problem = expectProblem(response, 400);
      expect(problem.errors?.[0]?.field).toBe('body.reason');
      noClearValues(response);
    }
    expect(revealEvents).toEqual([]);
  });

  it('when the budget hook refuses, no plaintext leaves the vault and no reveal is recorded', async () => {
    const { vault } = test.container;
    const trail: RevealRequest[] = [];
    revealEvents.length = 0;
    try {
      vault.setRevealHooks({
        budget: async () => {
          // What the shield's budget does when the agent has revealed enough for today.
          throw new AppError(
            'SHIELD_REVEAL_BUDGET_SPENT',
            { status: 429, title: 'Reveal budget spent' },
            'The daily reveal budget is spent.',
          );
        },
        trail: async (request) => void trail.push(request),
      });
      const refused = await revealAll(support);
      expect(expectProblem(refused, 429).code).toBe('SHIELD_REVEAL_BUDGET_SPENT');
      noClearValues(refused);

      // A budget that fails in some other way fails closed as well.
      vault.setRevealHooks({
        budget: async () => {
          throw new Error('budget store unreachable');
        },
      });
      const broken = await revealAll(support);
      expectProblem(broken, 500);
      noClearValues(broken);
    } finally {
      vault.setRevealHooks({ budget: async () => {}, trail: async () => {} });
    }
    expect(trail).toEqual([]);
    expect(revealEvents).toEqual([]);
  });

  it('the trail hook runs before any plaintext is produced, and a trail that cannot record stops the reveal', async () => {
    const { vault } = test.container;
    const calls: { request: RevealRequest; revealedSoFar: number }[] = [];
    revealEvents.length = 0;
    try {
      vault.setRevealHooks({
        trail: async (request) => void calls.push({ request, revealedSoFar: revealEvents.length }),
      });
      const response = await revealAll(support);
      expect(response.statusCode).toBe(200);
      expect(response.json().email).toBe(email);
      expect(calls).toHaveLength(1);
      const [{ request, revealedSoFar }] = calls as [(typeof calls)[0]];
      // At the time of the call nothing had been decrypted or recorded yet: the trail saw ciphertexts only.
      expect(revealedSoFar).toBe(0);
      expect(request).toMatchObject({
        actor: { id: supportId, role: 'support' },
        subjectId: subject.userId,
        permission: 'customers:reveal',
        purpose: reason,
      });
      const ciphertexts = Object.values(request.fields).map((f) => f.ciphertext);
      expect(ciphertexts.length).toBeGreaterThan(3);
      for (const ciphertext of ciphertexts.filter((c) => c !== null)) expect(ciphertext).toMatch(/^bw1\./);
      expect(JSON.stringify(request.fields)).not.toContain('Kowalska');
      expect(revealEvents).toHaveLength(1);

      revealEvents.length = 0;
      vault.setRevealHooks({
        trail: async () => {
          throw new Error('audit trail unavailable');
        },
      });
      const unrecorded = await revealAll(support);
      expectProblem(unrecorded, 500);
      noClearValues(unrecorded);
      expect(revealEvents).toEqual([]);
    } finally {
      vault.setRevealHooks({ budget: async () => {}, trail: async () => {} });
    }
  });

  it('staff find a customer by exact e-mail or phone through the blind index, masked', async () => {
    revealEvents.length = 0;
    const masked = {
      id: subject.userId,
      fullName: 'Anna K.',
      email: 'a***@example.test',
      phone: '+48 *** *** 4567',
    };
    for (const query of [
      `email=${encodeURIComponent(email)}`,
      `email=${encodeURIComponent(email.toUpperCase())}`,
      `phone=${encodeURIComponent(phone)}`,
    ]) {
      const response = await support.get(`/v1/staff/customers?${query}`);
      expect(response.statusCode, query).toBe(200);
      expect(response.json().items).toEqual([expect.objectContaining(masked)]);
      noClearValues(response);
    }
    const nobody = await support.get(
      `/v1/staff/customers?email=${encodeURIComponent(`nobody-${id}@example.test`)}`,
    );
    expect(nobody.json().items).toEqual([]);
    const noPhone = await support.get(`/v1/staff/customers?phone=${encodeURIComponent('+48609000000')}`);
    expect(noPhone.json().items).toEqual([]);
    expect(revealEvents).toEqual([]);
  });
});
