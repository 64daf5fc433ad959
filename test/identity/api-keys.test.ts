import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_SCOPES } from '../../src/modules/identity/index.ts';
import { digestToken } from '../../src/modules/vault/index.ts';
import {
  Client,
  createTestApp,
  expectProblem,
  type StaffMember,
  signUp,
  staffMember,
  type TestApp,
} from '../helpers/test-app.ts';

// Service API keys: made by admins after a fresh authentication, shown once, stored as digests, bounded by
// their scopes, and dead at once when revoked or expired.

const KEY = /^bw_sk_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/;
const ZERO_ORDER = `ord_${'0'.repeat(26)}`;

interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
  name: string;
  scopes: string[];
  expiresAt: string;
}

describe('service API keys', () => {
  let test: TestApp;
  let admin: StaffMember;

  beforeAll(async () => {
    test = await createTestApp();
    admin = await staffMember(test, 'admin');
  });
  afterAll(() => test.close());

  const service = (key: string) => new Client(test.app, { authorization: `Bearer ${key}` });

  async function createKey(scopes: string[] = ['orders:read'], name = 'order sync'): Promise<CreatedKey> {
    const response = await admin.client.post('/v1/admin/api-keys', { name, scopes, expiresInDays: 30 });
    expect(response.statusCode).toBe(201);
    return response.json() as CreatedKey;
  }

  it('an admin creates a key that is shown once; the list shows its prefix, never the key or its digest', async () => {
    const created = await createKey(['orders:read', 'orders:read', 'customers:read']);
    expect(created.key).toMatch(KEY);
    expect(created.key.startsWith(`${created.prefix}_`)).toBe(true);
    expect(created.prefix).toMatch(/^bw_sk_[a-z0-9]{12}$/);
    expect(created.scopes).toEqual(['orders:read', 'customers:read']);
    const days = (new Date(created.expiresAt).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);

    const list = await admin.client.get('/v1/admin/api-keys');
    expect(list.statusCode).toBe(200);
    const item = (list.json().items as { id: string }[]).find((k) => k.id === created.id);
    expect(item).toEqual({
      id: created.id,
      prefix: created.prefix,
      name: 'order sync',
      scopes: ['orders:read', 'customers:read'],
      createdAt: expect.any(String),
      expiresAt: created.expiresAt,
      revokedAt: null,
      lastUsedAt: null,
    });
    const secret = created.key.slice(created.prefix.length + 1);
    expect(list.body).not.toContain(secret);
    expect(list.body).not.toContain(digestToken(created.key));
  });

  it('the database holds only a digest of each key', async () => {
    const created = await createKey();
    const rows = await sql`select * from api_keys where id = ${created.id}`.execute(
      test.container.database.db,
    );
    const dump = JSON.stringify(rows.rows);
    expect(dump).not.toContain(created.key);
    expect(dump).not.toContain(created.key.slice(created.prefix.length + 1));
    expect((rows.rows[0] as { secretHash: string }).secretHash).toBe(digestToken(created.key));
  });

  it('a key acts as a service on the routes its scopes allow, and nowhere else', async () => {
    const created = await createKey(['orders:read']);
    const client = service(created.key);
    expect((await client.get('/v1/staff/orders')).statusCode).toBe(200);
    expect(expectProblem(await client.get(`/v1/staff/orders/${ZERO_ORDER}`), 404).code).not.toMatch(
      /^IDENTITY/,
    );
    // Its last use is recorded (for the admins' list).
    const listed = (await admin.client.get('/v1/admin/api-keys')).json().items as {
      id: string;
      lastUsedAt: string | null;
    }[];
    expect(listed.find((k) => k.id === created.id)?.lastUsedAt).not.toBeNull();

    // Other permissions: 403.
    const processing = await client.post(`/v1/staff/orders/${ZERO_ORDER}/purchasing`);
    expect(expectProblem(processing, 403).code).toBe('IDENTITY_FORBIDDEN');
    expect(expectProblem(await client.get('/v1/staff/customers?email=a@example.test'), 403).code).toBe(
      'IDENTITY_FORBIDDEN',
    );
    expect(expectProblem(await client.get('/v1/admin/api-keys'), 403).code).toBe('IDENTITY_FORBIDDEN');

    // Every route for people (shoppers or staff as themselves): 403, a key is not a person.
    const personal = test.app.declaredRoutes.filter((route) => 'principal' in route.access);
    expect(personal.length).toBeGreaterThan(15);
    for (const route of personal) {
      const url = route.url.replace(/:[A-Za-z]+/g, 'x');
      const response = await client.request(route.method as 'GET', url);
      expect(response.statusCode, `${route.method} ${route.url}`).toBe(403);
    }
    expect(expectProblem(await client.get('/v1/me'), 403).code).toBe('IDENTITY_FORBIDDEN');
    // Nor can it step up, or revoke itself by logging out.
    expectProblem(await client.post('/v1/auth/step-up', { password: 'whatever password' }), 403);
    expectProblem(await client.post('/v1/auth/logout'), 403);
    expect((await client.get('/v1/staff/orders')).statusCode).toBe(200);
  });

  it('staff:manage and customers:reveal cannot be given to a key, nor unknown scopes', async () => {
    expect(SERVICE_SCOPES).not.toContain('staff:manage');
    for (const scopes of [
      ['staff:manage'],
      ['orders:read', 'staff:manage'],
      ['customers:reveal'],
      ['orders:write'],
    ]) {
      const response = await admin.client.post('/v1/admin/api-keys', {
        name: 'too much',
        scopes,
        expiresInDays: 30,
      });
      const problem = expectProblem(response, 422);
      expect(problem.code, scopes.join()).toBe('IDENTITY_INVALID_SCOPES');
      expect(problem.errors?.[0]?.field).toBe('body.scopes');
    }
    for (const body of [
      { name: 'none', scopes: [], expiresInDays: 30 },
      { name: 'forever', scopes: ['orders:read'], expiresInDays: 366 },
      { name: 'no expiry', scopes: ['orders:read'] },
      { name: 'zero', scopes: ['orders:read'], expiresInDays: 0 },
    ]) {
      expectProblem(await admin.client.post('/v1/admin/api-keys', body), 400);
    }
    // None of the refused requests made a key.
    const names = ((await admin.client.get('/v1/admin/api-keys')).json().items as { name: string }[]).map(
      (k) => k.name,
    );
    for (const refused of ['too much', 'none', 'forever', 'no expiry', 'zero'])
      expect(names).not.toContain(refused);
  });

  it('an expired key is refused', async () => {
    const created = await createKey();
    const client = service(created.key);
    expect((await client.get('/v1/staff/orders')).statusCode).toBe(200);
    await test.container.database.db
      .updateTable('apiKeys')
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where('id', '=', created.id)
      .execute();
    expect(expectProblem(await client.get('/v1/staff/orders'), 401).code).toBe('IDENTITY_UNAUTHENTICATED');
  });

  it('a revoked key is refused on the next request', async () => {
    const created = await createKey();
    const client = service(created.key);
    expect((await client.get('/v1/staff/orders')).statusCode).toBe(200);
    expect((await admin.client.delete(`/v1/admin/api-keys/${created.id}`)).statusCode).toBe(204);
    expect(expectProblem(await client.get('/v1/staff/orders'), 401).code).toBe('IDENTITY_UNAUTHENTICATED');
    const listed = (await admin.client.get('/v1/admin/api-keys')).json().items as {
      id: string;
      revokedAt: string | null;
    }[];
    expect(listed.find((k) => k.id === created.id)?.revokedAt).not.toBeNull();
    const again = await admin.client.delete(`/v1/admin/api-keys/${created.id}`);
    expect(expectProblem(again, 404).code).toBe('IDENTITY_API_KEY_NOT_FOUND');
  });

  it('a key with a wrong secret, or an unknown prefix, or a malformed shape is refused', async () => {
    const created = await createKey();
    const secret = created.key.slice(created.prefix.length + 1);
    const flipped = `${created.prefix}_${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    for (const key of [
      flipped,
      `bw_sk_${'a'.repeat(12)}_${secret}`,
      `${created.prefix}_short`,
      `${created.key}x`,
      'bw_sk_',
    ]) {
      expect(expectProblem(await service(key).get('/v1/staff/orders'), 401).code, key).toBe(
        'IDENTITY_UNAUTHENTICATED',
      );
    }
  });

  it('only admins manage keys: other staff and shoppers get 403', async () => {
    const created = await createKey();
    const shopper = await signUp(test);
    for (const role of ['support', 'security', 'finance', 'warehouse'] as const) {
      const member = await staffMember(test, role);
      expectProblem(await member.client.get('/v1/admin/api-keys'), 403);
      expectProblem(
        await member.client.post('/v1/admin/api-keys', {
          name: 'mine',
          scopes: ['orders:read'],
          expiresInDays: 1,
        }),
        403,
      );
      expectProblem(await member.client.delete(`/v1/admin/api-keys/${created.id}`), 403);
    }
    expectProblem(await shopper.client.get('/v1/admin/api-keys'), 403);
    expectProblem(await shopper.client.delete(`/v1/admin/api-keys/${created.id}`), 403);
    expect((await service(created.key).get('/v1/staff/orders')).statusCode).toBe(200);
  });
});
