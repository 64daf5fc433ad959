import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addressBody,
  idempotencyKey,
  OrderFlow,
  orderBody,
  PNG_1X1,
  TAOBAO,
} from '../helpers/commerce-flows.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';
import {
  type Client,
  createTestApp,
  expectProblem,
  type Shopper,
  type StaffMember,
  signUp,
  staffClient,
  staffMember,
  type TestApp,
  totpCode,
  uniqueEmail,
} from '../helpers/test-app.ts';

// Bad input of every kind gets a 4xx application/problem+json answer that names the field, never a 500,
// and writes nothing. Row counts are read straight from the database before and after each request.

const TABLES = [
  'users',
  'sessions',
  'addresses',
  'orders',
  'orderItems',
  'qcPhotos',
  'parcels',
  'ledgerTransactions',
  'ledgerEntries',
  'refreshTokens',
  'loginEvents',
  'authThrottle',
  'totpFactors',
  'recoveryCodes',
  'oneTimeTokens',
  'emailChanges',
  'apiKeys',
  'passkeys',
  'webauthnChallenges',
  'outbox',
  'notices',
  'piiReveals',
  'piiExports',
] as const;
const JSON_TYPE = { 'content-type': 'application/json' };
const ZERO_ORDER = `ord_${'0'.repeat(26)}`;
const ZERO_ADDRESS = `adr_${'0'.repeat(26)}`;
const ZERO_CHALLENGE = `wac_${'0'.repeat(26)}`;
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** One scenario's scorecard line, as `bulwark drill` records it. */
const drillResult = () => ({
  scenario: 'lookup',
  obtained: 0,
  detectMs: null,
  containMs: null,
  incidentOpened: null,
  scopePrecision: null,
  scopeRecall: null,
  noticesRight: null,
  pass: true,
  reason: 'flows answer alike',
});

describe('bad input is refused with a problem that names the field, and writes nothing', () => {
  let test: TestApp;
  let shopper: Shopper;
  let client: Client;
  let warehouse: Client;
  let support: Client;
  let admin: StaffMember;
  let security: Client;
  let finance: StaffMember;
  let flow: OrderFlow;
  let addressId: string;
  let otherAddressId: string;
  let paidId: string;
  let purchasedId: string;
  let approvedId: string;
  let parcelId: string;
  let refreshToken: string;
  /** From a password-only staff login: the ticket that a second factor redeems. */
  let mfaTicket: string;

  beforeAll(async () => {
    test = await createTestApp();
    flow = new OrderFlow(test);
    warehouse = await flow.warehouse;
    support = await staffClient(test, 'support');
    admin = await staffMember(test, 'admin');
    security = await staffClient(test, 'security');
    finance = await staffMember(test, 'finance');
    shopper = await signUp(test);
    client = shopper.client;
    const address = await client.post('/v1/me/addresses', validAddress());
    addressId = address.json().id;
    const other = await client.post(
      '/v1/me/addresses',
      validAddress({ city: 'Gdańsk', postalCode: '80-001' }),
    );
    otherAddressId = other.json().id;
    paidId = await flow.orderIn(client, 'paid');
    purchasedId = await flow.orderIn(client, 'purchased');
    approvedId = await flow.orderIn(client, 'approved');
    const parcel = await client.post('/v1/parcels', {
      orderIds: [await flow.orderIn(client, 'approved')],
      shippingLine: 'ems',
      addressId,
      declaredValue: 10_000,
    });
    parcelId = parcel.json().id;
    const tokens = await test.anonymous.post('/v1/auth/token', {
      email: shopper.email,
      password: shopper.password,
    });
    refreshToken = tokens.json().refreshToken;
    const halfway = await test.anonymous.post('/v1/auth/token', {
      email: admin.email,
      password: admin.password,
    });
    expect(expectProblem(halfway, 401).code).toBe('IDENTITY_MFA_REQUIRED');
    mfaTicket = halfway.json().mfaTicket;
  });
  afterAll(() => test.close());

  const validAddress = addressBody;
  const validRegistration = (overrides: Record<string, unknown> = {}) => ({
    email: uniqueEmail('bad-input'),
    password: 'correct horse battery staple',
    fullName: 'New Shopper',
    country: 'PL',
    ...overrides,
  });
  const item = (overrides: Record<string, unknown> = {}) => ({
    link: TAOBAO,
    title: 'Canvas sneakers',
    quantity: 1,
    unitPrice: 9_900,
    ...overrides,
  });

  /** A link or login-step secret of the shape this API issues (`bw_pr_…` reset, `bw_nm_…` not-me, …). */
  const linkToken = (prefix: string) => `bw_${prefix}_${randomBytes(32).toString('base64url')}`;
  /** What navigator.credentials.create()/get() would send for options this server never issued. */
  const passkeyDevice = () =>
    new SoftAuthenticator({ origin: test.config.publicUrl, rpId: test.config.webauthnRpId });
  const strangeOptions = () => ({
    challenge: randomBytes(32).toString('base64url'),
    user: { id: randomBytes(16).toString('base64url') },
  });
  const registration = () => passkeyDevice().register(strangeOptions());
  const assertion = () => passkeyDevice().assert(strangeOptions());

  async function counts() {
    const db = test.container.database.db;
    const entries = await Promise.all(
      TABLES.map(async (table) => {
        const row = await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow();
        return [table, Number(row.n)] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  /** Sends a request and checks that no table gained or lost a row. */
  async function writesNothing(send: () => Promise<LightMyRequestResponse>) {
    const before = await counts();
    const response = await send();
    expect(await counts()).toEqual(before);
    return response;
  }

  /** A 4xx problem+json naming `field` (when given), that wrote nothing. */
  async function refused(
    send: () => Promise<LightMyRequestResponse>,
    status: number,
    field?: string,
    code?: string,
  ) {
    const problem = expectProblem(await writesNothing(send), status);
    if (code) expect(problem.code).toBe(code);
    if (field) expect(problem.errors?.map((e) => e.field)).toContain(field);
    return problem;
  }

  const postJson = (c: Client, url: string, raw: string, headers: Record<string, string> = {}) =>
    c.request('POST', url, raw, { ...JSON_TYPE, ...headers });
  const statusOf = async (id: string) => (await client.get(`/v1/orders/${id}`)).json().status;
  const parcelOf = async () => (await client.get(`/v1/parcels/${parcelId}`)).json();
  const balance = async () => (await client.get('/v1/wallet')).json().balance;

  describe('bodies that cannot be read', () => {
    it.each([
      ['an unfinished object', '{"items":'],
      ['a bare brace', '{'],
      ['a missing value', '{"domesticShipping":}'],
      ['single quotes', "{'items': []}"],
      ['a trailing comma', '{"domesticShipping": 0,}'],
      ['NaN', '{"domesticShipping": NaN}'],
      ['undefined', '{"note": undefined}'],
      ['a comment', '{"note": 1 /* hi */}'],
      ['an unterminated string', '{"note": "abc'],
      ['a NUL byte', '\u0000'],
      ['two documents', '{}{}'],
    ])('malformed JSON (%s) is a 400', async (_name, raw) => {
      await refused(() => postJson(client, '/v1/orders', raw), 400, undefined, 'PLATFORM_MALFORMED_BODY');
    });

    it.each([
      ['__proto__ at the top', '{"__proto__": {"isAdmin": true}}'],
      ['constructor.prototype at the top', '{"constructor": {"prototype": {"isAdmin": true}}}'],
      ['an escaped __proto__', '{"\\u005f_proto__": {"isAdmin": true}}'],
      [
        '__proto__ inside an item',
        `{"items": [{"__proto__": {"isAdmin": true}, "link": "${TAOBAO}", "title": "x", "quantity": 1, "unitPrice": 1}], "domesticShipping": 0}`,
      ],
      [
        'constructor.prototype inside an item',
        `{"items": [{"constructor": {"prototype": {"isAdmin": true}}, "link": "${TAOBAO}", "title": "x", "quantity": 1, "unitPrice": 1}], "domesticShipping": 0}`,
      ],
    ])('prototype-poisoning JSON (%s) is a 400 and pollutes nothing', async (_name, raw) => {
      await refused(() => postJson(client, '/v1/orders', raw), 400, undefined, 'PLATFORM_MALFORMED_BODY');
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('isAdmin');
    });

    it('prototype-poisoning JSON is refused by every endpoint that takes a body', async () => {
      const poisoned = '{"__proto__": {"isAdmin": true}, "constructor": {"prototype": {"isAdmin": true}}}';
      for (const [method, url, c, headers] of [
        ['POST', '/v1/auth/register', test.anonymous, {}],
        ['POST', '/v1/auth/token', test.anonymous, {}],
        ['PATCH', '/v1/me', client, {}],
        ['POST', '/v1/me/addresses', client, {}],
        ['PATCH', `/v1/me/addresses/${addressId}`, client, {}],
        ['POST', '/v1/wallet/top-ups', client, { 'idempotency-key': idempotencyKey() }],
        ['POST', '/v1/parcels', client, {}],
        ['POST', `/v1/staff/orders/${paidId}/cancel`, warehouse, {}],
        ['POST', '/v1/auth/token/mfa', test.anonymous, {}],
        ['POST', '/v1/auth/login/mfa', test.anonymous, {}],
        ['POST', '/v1/auth/mfa/passkey-options', test.anonymous, {}],
        ['POST', '/v1/auth/token/mfa/passkey', test.anonymous, {}],
        ['POST', '/v1/auth/login/mfa/passkey', test.anonymous, {}],
        ['POST', '/v1/auth/passkey/token', test.anonymous, {}],
        ['POST', '/v1/auth/passkey/login', test.anonymous, {}],
        ['POST', '/v1/auth/step-up', client, {}],
        ['POST', '/v1/auth/step-up/passkey', client, {}],
        ['POST', '/v1/auth/password-reset', test.anonymous, {}],
        ['POST', '/v1/auth/password-reset/confirm', test.anonymous, {}],
        ['POST', '/v1/auth/not-me', test.anonymous, {}],
        ['POST', '/v1/auth/email-change/confirm', test.anonymous, {}],
        ['POST', '/v1/me/password', client, {}],
        ['POST', '/v1/me/email', client, {}],
        ['POST', '/v1/me/mfa/totp/confirm', client, {}],
        ['POST', '/v1/me/passkeys', client, {}],
        ['POST', `/v1/parcels/${parcelId}/address`, client, {}],
        ['POST', '/v1/wallet/withdrawals', client, { 'idempotency-key': idempotencyKey() }],
        ['POST', '/v1/admin/api-keys', admin.client, {}],
        ['POST', '/v1/staff/exports', support, {}],
      ] as const) {
        await refused(
          () => c.request(method, url, poisoned, { ...JSON_TYPE, ...headers }),
          400,
          undefined,
          'PLATFORM_MALFORMED_BODY',
        );
      }
      expect(Object.prototype).not.toHaveProperty('isAdmin');
    });

    it.each([
      ['text/plain', 'hello', 400],
      ['application/xml', '<order/>', 415],
      ['application/x-www-form-urlencoded', 'items=1', 415],
      ['multipart/form-data; boundary=x', '--x--\r\n', 415],
      ['image/png', 'not really', 415],
      ['///', '{}', 415],
    ])('a body sent as %s is refused', async (contentType, raw, status) => {
      const problem = await refused(
        () => client.post('/v1/orders', raw, { 'content-type': contentType }),
        status,
      );
      // text/plain is read as a string, which the schema then refuses as a whole.
      if (status === 400) expect(problem.errors?.[0]?.field).toBe('body');
      else expect(problem.code).toBe('PLATFORM_UNSUPPORTED_MEDIA_TYPE');
    });

    it('a body with no content type at all is a 415', async () => {
      await refused(
        () =>
          test.app.inject({
            method: 'POST',
            url: '/v1/orders',
            headers: { authorization: client.headers.authorization as string },
            payload: JSON.stringify(orderBody()),
          }),
        415,
        undefined,
        'PLATFORM_UNSUPPORTED_MEDIA_TYPE',
      );
    });

    it('an empty body with a JSON content type is a 400', async () => {
      for (const [method, url, headers] of [
        ['POST', '/v1/orders', {}],
        ['PATCH', '/v1/me', {}],
        ['POST', '/v1/me/addresses', {}],
        ['POST', '/v1/wallet/top-ups', { 'idempotency-key': idempotencyKey() }],
      ] as const) {
        await refused(
          () => client.request(method, url, '', { ...JSON_TYPE, ...headers }),
          400,
          undefined,
          'PLATFORM_MALFORMED_BODY',
        );
      }
    });

    it('JSON that is not an object is refused as a whole', async () => {
      for (const raw of ['null', '[]', '"order"', '42', 'true', '[{"items": []}]']) {
        await refused(() => postJson(client, '/v1/orders', raw), 400, 'body', 'PLATFORM_VALIDATION_FAILED');
      }
    });

    it('a JSON body over 1 MiB is a 413', async () => {
      const huge = JSON.stringify(orderBody({ note: 'x'.repeat(1024 * 1024) }));
      await refused(() => postJson(client, '/v1/orders', huge), 413, undefined, 'PLATFORM_BODY_TOO_LARGE');
      const hugeRegistration = JSON.stringify(validRegistration({ fullName: 'x'.repeat(1024 * 1024 + 1) }));
      await refused(
        () => postJson(test.anonymous, '/v1/auth/register', hugeRegistration),
        413,
        undefined,
        'PLATFORM_BODY_TOO_LARGE',
      );
    });

    it('a QC photo over the photo limit is a 413, and one that is not an image is refused', async () => {
      const inWarehouse = await flow.orderIn(client, 'in_warehouse');
      const upload = (bytes: Buffer | string, contentType: string) =>
        warehouse.request('POST', `/v1/staff/orders/${inWarehouse}/photos`, bytes, {
          'content-type': contentType,
        });
      const oversized = Buffer.concat([PNG_1X1, Buffer.alloc(test.config.photoLimitBytes)]);
      await refused(() => upload(oversized, 'image/png'), 413, undefined, 'PLATFORM_BODY_TOO_LARGE');
      await refused(() => upload('<svg onload="alert(1)"/>', 'image/svg+xml'), 415);
      await refused(
        () => upload(Buffer.from('<html><script>alert(1)</script></html>'), 'image/png'),
        415,
        undefined,
        'COMMERCE_PHOTO_REJECTED',
      );
      await refused(() => upload(Buffer.alloc(0), 'image/png'), 415);
      expect(await statusOf(inWarehouse)).toBe('in_warehouse');
    });
  });

  describe('wrong types', () => {
    it.each([
      ['quantity as a string', { items: [item({ quantity: '2' })] }, 'body.items[0].quantity'],
      ['quantity as null', { items: [item({ quantity: null })] }, 'body.items[0].quantity'],
      ['quantity as an object', { items: [item({ quantity: { value: 2 } })] }, 'body.items[0].quantity'],
      ['unitPrice as a string', { items: [item({ unitPrice: '9900' })] }, 'body.items[0].unitPrice'],
      ['unitPrice as a boolean', { items: [item({ unitPrice: true })] }, 'body.items[0].unitPrice'],
      ['title as a number', { items: [item({ title: 123 })] }, 'body.items[0].title'],
      ['title as null', { items: [item({ title: null })] }, 'body.items[0].title'],
      ['title as an array', { items: [item({ title: ['a'] })] }, 'body.items[0].title'],
      ['options as a number', { items: [item({ options: 42 })] }, 'body.items[0].options'],
      ['link as a number', { items: [item({ link: 6543210987 })] }, 'body.items[0].link'],
      ['link as null', { items: [item({ link: null })] }, 'body.items[0].link'],
      ['items as an object', { items: { 0: item() } }, 'body.items'],
      ['items as null', { items: null }, 'body.items'],
      ['no items', { items: [] }, 'body.items'],
      ['an item as an array', { items: [[TAOBAO, 'x', 1, 1]] }, 'body.items[0]'],
      ['an item as a string', { items: [TAOBAO] }, 'body.items[0]'],
      ['51 items', { items: Array.from({ length: 51 }, () => item()) }, 'body.items'],
      ['a missing title', { items: [{ link: TAOBAO, quantity: 1, unitPrice: 1 }] }, 'body.items[0].title'],
      ['domesticShipping as a string', { domesticShipping: '1000' }, 'body.domesticShipping'],
      ['domesticShipping as null', { domesticShipping: null }, 'body.domesticShipping'],
      ['note as a number', { note: 42 }, 'body.note'],
      ['note as an object', { note: { text: 'hi' } }, 'body.note'],
    ])('an order with %s is a 400 naming the field', async (_name, overrides, field) => {
      await refused(
        () => client.post('/v1/orders', orderBody(overrides)),
        400,
        field,
        'PLATFORM_VALIDATION_FAILED',
      );
    });

    it('a missing required property is named', async () => {
      const { domesticShipping: _, ...withoutShipping } = orderBody();
      await refused(() => client.post('/v1/orders', withoutShipping), 400, 'body.domesticShipping');
      await refused(() => client.post('/v1/orders', { domesticShipping: 0 }), 400, 'body.items');
      await refused(
        () => test.anonymous.post('/v1/auth/register', { email: uniqueEmail() }),
        400,
        'body.password',
      );
    });

    it.each([
      ['/v1/auth/register', () => validRegistration({ email: 42 }), 'body.email'],
      ['/v1/auth/register', () => validRegistration({ password: null }), 'body.password'],
      ['/v1/auth/register', () => validRegistration({ fullName: ['Anna'] }), 'body.fullName'],
      ['/v1/auth/register', () => validRegistration({ country: 48 }), 'body.country'],
      ['/v1/auth/register', () => validRegistration({ email: 'not-an-email' }), 'body.email'],
      ['/v1/auth/token', () => ({ email: ['a@b.cd'], password: 'x' }), 'body.email'],
    ])('%s with a wrong type is a 400 naming the field', async (url, body, field) => {
      await refused(() => test.anonymous.post(url, body()), 400, field, 'PLATFORM_VALIDATION_FAILED');
    });

    it('wrong types elsewhere are named too', async () => {
      await refused(() => client.patch('/v1/me', { fullName: 42 }), 400, 'body.fullName');
      await refused(() => client.patch('/v1/me', {}), 400, 'body');
      await refused(
        () => client.post('/v1/me/addresses', validAddress({ isDefault: 'true' })),
        400,
        'body.isDefault',
      );
      await refused(() => client.post('/v1/me/addresses', validAddress({ line1: null })), 400, 'body.line1');
      await refused(() => client.patch(`/v1/me/addresses/${addressId}`, { city: 7 }), 400, 'body.city');
      await refused(
        () =>
          client.post('/v1/parcels', {
            orderIds: approvedId,
            shippingLine: 'ems',
            addressId,
            declaredValue: 100,
          }),
        400,
        'body.orderIds',
      );
      await refused(
        () =>
          client.post('/v1/parcels', {
            orderIds: [approvedId, approvedId],
            shippingLine: 'ems',
            addressId,
            declaredValue: 100,
          }),
        400,
        'body.orderIds',
      );
      await refused(
        () =>
          client.post('/v1/parcels', {
            orderIds: ['not-an-id'],
            shippingLine: 'ems',
            addressId,
            declaredValue: 100,
          }),
        400,
        'body.orderIds[0]',
      );
      await refused(
        () => client.post('/v1/wallet/top-ups', { amount: '1000' }, { 'idempotency-key': idempotencyKey() }),
        400,
        'body.amount',
      );
      await refused(
        () => warehouse.post(`/v1/staff/orders/${paidId}/cancel`, { reason: ['out of stock'] }),
        400,
        'body.reason',
      );
      await refused(
        () => warehouse.post(`/v1/staff/parcels/${parcelId}/ship`, { trackingNumber: 123456789 }),
        400,
        'body.trackingNumber',
      );
      expect(await statusOf(paidId)).toBe('paid');
    });
  });

  describe('numbers out of range', () => {
    const NOT_NUMBERS = ['NaN', 'Infinity', '1e3', '2', ''];
    const cases: [string, unknown[], (value: unknown) => () => Promise<LightMyRequestResponse>, string][] = [
      [
        'quantity',
        [0, -1, 1.5, 1_000, 1e20, -1e20, ...NOT_NUMBERS],
        (v) => () => client.post('/v1/orders', orderBody({ items: [item({ quantity: v })] })),
        'body.items[0].quantity',
      ],
      [
        'unitPrice',
        [0, -1, 0.5, 100_000_001, 1e20, ...NOT_NUMBERS],
        (v) => () => client.post('/v1/orders', orderBody({ items: [item({ unitPrice: v })] })),
        'body.items[0].unitPrice',
      ],
      [
        'domesticShipping',
        [-1, 0.5, 10_000_001, 1e20, ...NOT_NUMBERS],
        (v) => () => client.post('/v1/orders', orderBody({ domesticShipping: v })),
        'body.domesticShipping',
      ],
      [
        'a top-up amount',
        [0, 99, -100, 1.5, 100_000_001, 1e20, ...NOT_NUMBERS],
        (v) => () =>
          client.post('/v1/wallet/top-ups', { amount: v }, { 'idempotency-key': idempotencyKey() }),
        'body.amount',
      ],
      [
        'declaredValue',
        [0, 99, 1.5, 1_000_000_001, 1e20, ...NOT_NUMBERS],
        (v) => () =>
          client.post('/v1/parcels', {
            orderIds: [approvedId],
            shippingLine: 'ems',
            addressId,
            declaredValue: v,
          }),
        'body.declaredValue',
      ],
      [
        'an arrival weightGrams',
        [0, -1, 1.5, 100_001, 1e20, ...NOT_NUMBERS],
        (v) => () => warehouse.post(`/v1/staff/orders/${purchasedId}/arrival`, { weightGrams: v }),
        'body.weightGrams',
      ],
      [
        'a packing weightGrams',
        [0, -1, 1.5, 100_001, 1e20, ...NOT_NUMBERS],
        (v) => () => warehouse.post(`/v1/staff/parcels/${parcelId}/pack`, { weightGrams: v }),
        'body.weightGrams',
      ],
    ];

    it.each(cases)(
      '%s that is zero, negative, fractional, huge or not a number is a 400',
      async (_n, values, send, field) => {
        for (const value of values) {
          const problem = await refused(send(value), 400, field, 'PLATFORM_VALIDATION_FAILED');
          expect(problem.errors, `value ${JSON.stringify(value)}`).toHaveLength(1);
        }
        expect(await statusOf(purchasedId)).toBe('purchased');
        expect(await statusOf(approvedId)).toBe('approved');
        expect((await parcelOf()).status).toBe('requested');
      },
    );

    it('numbers beyond what JSON can hold (1e400) are refused, not turned into Infinity', async () => {
      await refused(
        () =>
          postJson(client, '/v1/wallet/top-ups', '{"amount": 1e400}', {
            'idempotency-key': idempotencyKey(),
          }),
        400,
        'body.amount',
      );
      await refused(
        () =>
          postJson(
            client,
            '/v1/orders',
            `{"items": [{"link": "${TAOBAO}", "title": "x", "quantity": -1e400, "unitPrice": 1}], "domesticShipping": 0}`,
          ),
        400,
        'body.items[0].quantity',
      );
    });

    it('an order whose parts are each in range but whose total is not is a 422', async () => {
      const items = Array.from({ length: 50 }, () => item({ quantity: 999, unitPrice: 100_000_000 }));
      await refused(
        () => client.post('/v1/orders', orderBody({ items })),
        422,
        'body.items',
        'COMMERCE_AMOUNT_OUT_OF_RANGE',
      );
    });

    it('a packing weight above what the shipping line carries is a 422', async () => {
      await refused(
        () => warehouse.post(`/v1/staff/parcels/${parcelId}/pack`, { weightGrams: 30_001 }),
        422,
        'body.weightGrams',
        'COMMERCE_AMOUNT_OUT_OF_RANGE',
      );
      expect(await parcelOf()).toMatchObject({ status: 'requested', shippingFee: null });
    });
  });

  describe('product links', () => {
    const refusedLinks = [
      'https://evil.com/item.htm?id=6543210987',
      'javascript:alert(1)',
      'https://m.tb.cn/h.x',
      'https://m.tb.cn/h.5Xyz?sm=abc',
      'data:text/html,<script>alert(1)</script>',
      'file:///etc/passwd',
      'ftp://item.taobao.com/item.htm?id=1',
      'http://127.0.0.1/item.htm?id=1',
      'https://item.taobao.com.evil.com/item.htm?id=1',
      'https://user:pw@item.taobao.com/item.htm?id=1',
      'https://item.taobao.com:8443/item.htm?id=1',
      'https://item.taobao.com/item.htm',
      'https://item.taobao.com/item.htm?id=1&id=2',
      'https://item.taobao.com/item.htm?id=1\u0000',
      'https://item.tao\u200bbao.com/item.htm?id=1',
      ' ',
    ];

    it.each(refusedLinks)('an order with the link %j is a 422 naming body.items[0].link', async (link) => {
      await refused(
        () => client.post('/v1/orders', orderBody({ items: [item({ link })] })),
        422,
        'body.items[0].link',
        'COMMERCE_LINK_REFUSED',
      );
      await refused(
        () => client.post('/v1/links/parse', { link }),
        422,
        'body.link',
        'COMMERCE_LINK_REFUSED',
      );
    });

    it('an over-long link is refused, naming the link', async () => {
      // Over the parser's 2,048 characters: the order schema stops it; the link preview's parser explains it.
      const long = `${TAOBAO}&x=${'a'.repeat(2100)}`;
      await refused(
        () => client.post('/v1/orders', orderBody({ items: [item({ link: long })] })),
        400,
        'body.items[0].link',
      );
      await refused(
        () => client.post('/v1/links/parse', { link: long }),
        422,
        'body.link',
        'COMMERCE_LINK_REFUSED',
      );
      const link = `${TAOBAO}&x=${'a'.repeat(5000)}`;
      await refused(
        () => client.post('/v1/orders', orderBody({ items: [item({ link })] })),
        400,
        'body.items[0].link',
        'PLATFORM_VALIDATION_FAILED',
      );
      await refused(() => client.post('/v1/links/parse', { link }), 400, 'body.link');
      await refused(
        () => client.post('/v1/orders', orderBody({ items: [item({ link: '' })] })),
        400,
        'body.items[0].link',
      );
    });

    it('every refused link of an order is named, and a good one beside it does not save the order', async () => {
      const problem = await refused(
        () =>
          client.post(
            '/v1/orders',
            orderBody({
              items: [
                item(),
                item({ link: 'https://evil.com/x' }),
                item(),
                item({ link: 'javascript:alert(1)' }),
              ],
            }),
          ),
        422,
      );
      expect(problem.errors?.map((e) => e.field)).toEqual(['body.items[1].link', 'body.items[3].link']);
    });
  });

  describe('enums and query strings', () => {
    it.each([
      ['/v1/orders?status=bogus', 'query.status'],
      ['/v1/orders?status=PAID', 'query.status'],
      ['/v1/parcels?status=bogus', 'query.status'],
      ['/v1/orders?limit=0', 'query.limit'],
      ['/v1/orders?limit=-1', 'query.limit'],
      ['/v1/orders?limit=1.5', 'query.limit'],
      ['/v1/orders?limit=abc', 'query.limit'],
      ['/v1/orders?limit=101', 'query.limit'],
      ['/v1/orders?limit=1&limit=2', 'query.limit'],
      ['/v1/wallet/transactions?limit=1e3', 'query.limit'],
      ['/v1/orders?role=admin', 'query.role'],
      ['/v1/wallet/transactions?status=paid', 'query.status'],
      ['/v1/orders?cursor=not%20a%20cursor', 'query.cursor'],
      ['/v1/orders/not-an-order-id', 'path.id'],
      [`/v1/orders/${ZERO_ADDRESS}`, 'path.id'],
    ])('GET %s is a 400 naming %s', async (url, field) => {
      await refused(() => client.get(url), 400, field, 'PLATFORM_VALIDATION_FAILED');
    });

    it('staff queue filters refuse unknown statuses too', async () => {
      await refused(() => warehouse.get('/v1/staff/orders?status=bogus'), 400, 'query.status');
      await refused(() => warehouse.get('/v1/staff/parcels?status=lost'), 400, 'query.status');
    });

    it('a cursor this API did not issue is a 400 on every list, never a 500', async () => {
      const forged = [
        b64(['2026-01-01T00:00:00.000Z', '\u0000']),
        b64(['2026-01-01T00:00:00.000Z', `ord_${'0'.repeat(25)}\u0000`]),
        b64(['-271821-04-20T00:00:00.000Z', ZERO_ORDER]),
        b64(['+275760-09-13T00:00:00.000Z', ZERO_ORDER]),
        b64(['not a date', ZERO_ORDER]),
        b64(['2026-01-01T00:00:00.000Z', "' or 1=1 --"]),
        b64(['2026-01-01T00:00:00.000Z', 'x'.repeat(65)]),
        b64(['2026-01-01T00:00:00.000Z']),
        b64({ createdAt: '2026-01-01T00:00:00.000Z', id: ZERO_ORDER }),
        b64([1, 2]),
        b64(null),
        'bm90LWpzb24',
      ];
      for (const [c, path] of [
        [client, '/v1/orders'],
        [client, '/v1/parcels'],
        [client, '/v1/wallet/transactions'],
        [warehouse, '/v1/staff/orders'],
        [warehouse, '/v1/staff/parcels'],
      ] as const) {
        for (const cursor of forged) {
          await refused(
            () => c.get(`${path}?cursor=${cursor}`),
            400,
            'query.cursor',
            'PLATFORM_VALIDATION_FAILED',
          );
        }
      }
    });

    it('an unknown shipping line is refused, naming it, and the order stays approved', async () => {
      const parcel = (shippingLine: string) =>
        client.post('/v1/parcels', {
          orderIds: [approvedId],
          shippingLine,
          addressId,
          declaredValue: 10_000,
        });
      await refused(() => parcel('teleport'), 422, 'body.shippingLine', 'COMMERCE_SHIPPING_LINE_UNAVAILABLE');
      await refused(() => parcel('TELEPORT'), 400, 'body.shippingLine', 'PLATFORM_VALIDATION_FAILED');
      await refused(() => parcel('ems; drop table parcels'), 400, 'body.shippingLine');
      // A real line that does not serve the address's country (PL).
      await refused(
        () => parcel('us-express'),
        422,
        'body.shippingLine',
        'COMMERCE_SHIPPING_LINE_UNAVAILABLE',
      );
      expect(await statusOf(approvedId)).toBe('approved');
    });

    it('a parcel for an address that is not the shopper’s is a 404 and writes nothing', async () => {
      await refused(
        () =>
          client.post('/v1/parcels', {
            orderIds: [approvedId],
            shippingLine: 'ems',
            addressId: ZERO_ADDRESS,
            declaredValue: 10_000,
          }),
        404,
      );
      expect(await statusOf(approvedId)).toBe('approved');
    });
  });

  describe('unknown properties', () => {
    const EXTRA_KEYS = [
      'role',
      'balance',
      'status',
      'userId',
      'price',
      'isAdmin',
      'id',
      'constructor',
      'prototype',
    ];

    interface Endpoint {
      readonly method: 'POST' | 'PATCH' | 'PUT' | 'DELETE';
      /** As in the OpenAPI document. */
      readonly route: string;
      readonly url: () => string;
      readonly client: () => Client;
      readonly body: () => Record<string, unknown>;
      readonly headers?: () => Record<string, string>;
      /** Where the extra key goes; the top level when absent. */
      readonly nested?: 'items[0]' | 'response.response' | 'filter' | 'results[0]';
      /** What must still hold after every refusal. */
      readonly unchanged?: () => Promise<void>;
    }

    const endpoints: Endpoint[] = [
      {
        method: 'POST',
        route: '/v1/auth/register',
        url: () => '/v1/auth/register',
        client: () => test.anonymous,
        body: () => validRegistration(),
      },
      {
        method: 'POST',
        route: '/v1/auth/token',
        url: () => '/v1/auth/token',
        client: () => test.anonymous,
        body: () => ({ email: shopper.email, password: shopper.password }),
      },
      {
        method: 'POST',
        route: '/v1/auth/login',
        url: () => '/v1/auth/login',
        client: () => test.anonymous,
        body: () => ({ email: shopper.email, password: shopper.password }),
      },
      {
        method: 'POST',
        route: '/v1/auth/refresh',
        url: () => '/v1/auth/refresh',
        client: () => test.anonymous,
        body: () => ({ refreshToken }),
      },
      {
        method: 'POST',
        route: '/v1/auth/token/mfa',
        url: () => '/v1/auth/token/mfa',
        client: () => test.anonymous,
        body: () => ({ mfaTicket, code: totpCode(admin.totpSecret) }),
      },
      {
        method: 'POST',
        route: '/v1/auth/login/mfa',
        url: () => '/v1/auth/login/mfa',
        client: () => test.anonymous,
        body: () => ({ mfaTicket, code: totpCode(admin.totpSecret) }),
      },
      {
        method: 'POST',
        route: '/v1/auth/mfa/passkey-options',
        url: () => '/v1/auth/mfa/passkey-options',
        client: () => test.anonymous,
        body: () => ({ mfaTicket }),
      },
      {
        method: 'POST',
        route: '/v1/auth/token/mfa/passkey',
        url: () => '/v1/auth/token/mfa/passkey',
        client: () => test.anonymous,
        body: () => ({ mfaTicket, challengeId: ZERO_CHALLENGE, response: assertion() }),
      },
      {
        method: 'POST',
        route: '/v1/auth/token/mfa/passkey',
        url: () => '/v1/auth/token/mfa/passkey',
        client: () => test.anonymous,
        body: () => ({ mfaTicket, challengeId: ZERO_CHALLENGE, response: assertion() }),
        nested: 'response.response',
      },
      {
        method: 'POST',
        route: '/v1/auth/login/mfa/passkey',
        url: () => '/v1/auth/login/mfa/passkey',
        client: () => test.anonymous,
        body: () => ({ mfaTicket, challengeId: ZERO_CHALLENGE, response: assertion() }),
      },
      {
        method: 'POST',
        route: '/v1/auth/login/mfa/passkey',
        url: () => '/v1/auth/login/mfa/passkey',
        client: () => test.anonymous,
        body: () => ({ mfaTicket, challengeId: ZERO_CHALLENGE, response: assertion() }),
        nested: 'response.response',
      },
      {
        method: 'POST',
        route: '/v1/auth/passkey/token',
        url: () => '/v1/auth/passkey/token',
        client: () => test.anonymous,
        body: () => ({ challengeId: ZERO_CHALLENGE, response: assertion() }),
      },
      {
        method: 'POST',
        route: '/v1/auth/passkey/token',
        url: () => '/v1/auth/passkey/token',
        client: () => test.anonymous,
        body: () => ({ challengeId: ZERO_CHALLENGE, response: assertion() }),
        nested: 'response.response',
      },
      {
        method: 'POST',
        route: '/v1/auth/passkey/login',
        url: () => '/v1/auth/passkey/login',
        client: () => test.anonymous,
        body: () => ({ challengeId: ZERO_CHALLENGE, response: assertion() }),
      },
      {
        method: 'POST',
        route: '/v1/auth/passkey/login',
        url: () => '/v1/auth/passkey/login',
        client: () => test.anonymous,
        body: () => ({ challengeId: ZERO_CHALLENGE, response: assertion() }),
        nested: 'response.response',
      },
      {
        method: 'POST',
        route: '/v1/auth/step-up',
        url: () => '/v1/auth/step-up',
        client: () => client,
        body: () => ({ password: shopper.password }),
      },
      {
        method: 'POST',
        route: '/v1/auth/step-up/passkey',
        url: () => '/v1/auth/step-up/passkey',
        client: () => client,
        body: () => ({ challengeId: ZERO_CHALLENGE, response: assertion() }),
      },
      {
        method: 'POST',
        route: '/v1/auth/step-up/passkey',
        url: () => '/v1/auth/step-up/passkey',
        client: () => client,
        body: () => ({ challengeId: ZERO_CHALLENGE, response: assertion() }),
        nested: 'response.response',
      },
      {
        method: 'POST',
        route: '/v1/auth/password-reset',
        url: () => '/v1/auth/password-reset',
        client: () => test.anonymous,
        body: () => ({ email: shopper.email }),
      },
      {
        method: 'POST',
        route: '/v1/auth/password-reset/confirm',
        url: () => '/v1/auth/password-reset/confirm',
        client: () => test.anonymous,
        body: () => ({ token: linkToken('pr'), password: 'a brand new passphrase for this account' }),
      },
      {
        method: 'POST',
        route: '/v1/auth/not-me',
        url: () => '/v1/auth/not-me',
        client: () => test.anonymous,
        body: () => ({ token: linkToken('nm') }),
      },
      {
        method: 'POST',
        route: '/v1/auth/email-change/confirm',
        url: () => '/v1/auth/email-change/confirm',
        client: () => test.anonymous,
        body: () => ({ token: linkToken('ec') }),
      },
      {
        method: 'PATCH',
        route: '/v1/me',
        url: () => '/v1/me',
        client: () => client,
        body: () => ({ fullName: 'Changed Name' }),
        unchanged: async () => {
          expect((await client.get('/v1/me')).json()).toMatchObject({
            fullName: 'Test Shopper',
            kind: 'shopper',
            role: null,
          });
        },
      },
      {
        method: 'POST',
        route: '/v1/me/password',
        url: () => '/v1/me/password',
        client: () => client,
        body: () => ({
          currentPassword: shopper.password,
          newPassword: 'a brand new passphrase for this account',
        }),
        unchanged: async () => {
          const login = await test.anonymous.post('/v1/auth/token', {
            email: shopper.email,
            password: shopper.password,
          });
          expect(login.statusCode, login.body).toBe(200);
        },
      },
      {
        method: 'POST',
        route: '/v1/me/email',
        url: () => '/v1/me/email',
        client: () => client,
        body: () => ({ email: uniqueEmail('moved') }),
        unchanged: async () => expect((await client.get('/v1/me')).json().email).toBe(shopper.email),
      },
      {
        method: 'POST',
        route: '/v1/me/mfa/totp/confirm',
        url: () => '/v1/me/mfa/totp/confirm',
        client: () => client,
        body: () => ({ code: '123456' }),
        unchanged: async () => expect((await client.get('/v1/me/mfa')).json()).toMatchObject({ totp: false }),
      },
      {
        method: 'POST',
        route: '/v1/me/passkeys',
        url: () => '/v1/me/passkeys',
        client: () => client,
        body: () => ({ challengeId: ZERO_CHALLENGE, name: 'Work laptop', response: registration() }),
        unchanged: async () => expect((await client.get('/v1/me/passkeys')).json().items).toEqual([]),
      },
      {
        method: 'POST',
        route: '/v1/me/passkeys',
        url: () => '/v1/me/passkeys',
        client: () => client,
        body: () => ({ challengeId: ZERO_CHALLENGE, name: 'Work laptop', response: registration() }),
        nested: 'response.response',
      },
      {
        method: 'POST',
        route: '/v1/me/addresses',
        url: () => '/v1/me/addresses',
        client: () => client,
        body: () => validAddress(),
      },
      {
        method: 'PATCH',
        route: '/v1/me/addresses/{id}',
        url: () => `/v1/me/addresses/${addressId}`,
        client: () => client,
        body: () => ({ city: 'Kraków' }),
        unchanged: async () => {
          expect((await client.get(`/v1/me/addresses/${addressId}`)).json().city).toBe('Warszawa');
        },
      },
      {
        method: 'POST',
        route: '/v1/links/parse',
        url: () => '/v1/links/parse',
        client: () => client,
        body: () => ({ link: TAOBAO }),
      },
      {
        method: 'POST',
        route: '/v1/links/resolve',
        url: () => '/v1/links/resolve',
        client: () => client,
        body: () => ({ link: TAOBAO }),
      },
      {
        method: 'POST',
        route: '/v1/orders',
        url: () => '/v1/orders',
        client: () => client,
        body: () => orderBody(),
      },
      {
        method: 'POST',
        route: '/v1/orders',
        url: () => '/v1/orders',
        client: () => client,
        body: () => orderBody(),
        nested: 'items[0]',
      },
      {
        method: 'POST',
        route: '/v1/parcels',
        url: () => '/v1/parcels',
        client: () => client,
        body: () => ({ orderIds: [approvedId], shippingLine: 'ems', addressId, declaredValue: 10_000 }),
        unchanged: async () => expect(await statusOf(approvedId)).toBe('approved'),
      },
      {
        method: 'POST',
        route: '/v1/parcels/{id}/address',
        url: () => `/v1/parcels/${parcelId}/address`,
        client: () => client,
        body: () => ({ addressId: otherAddressId }),
        unchanged: async () => expect((await parcelOf()).address).toMatchObject({ city: 'Warszawa' }),
      },
      {
        method: 'POST',
        route: '/v1/wallet/top-ups',
        url: () => '/v1/wallet/top-ups',
        client: () => client,
        body: () => ({ amount: 1_000 }),
        headers: () => ({ 'idempotency-key': idempotencyKey() }),
      },
      {
        method: 'POST',
        route: '/v1/wallet/withdrawals',
        url: () => '/v1/wallet/withdrawals',
        client: () => client,
        body: () => ({ amount: 1_000 }),
        headers: () => ({ 'idempotency-key': idempotencyKey() }),
      },
      {
        method: 'POST',
        route: '/v1/staff/orders/{id}/arrival',
        url: () => `/v1/staff/orders/${purchasedId}/arrival`,
        client: () => warehouse,
        body: () => ({ weightGrams: 800 }),
        unchanged: async () => expect(await statusOf(purchasedId)).toBe('purchased'),
      },
      {
        method: 'POST',
        route: '/v1/staff/orders/{id}/cancel',
        url: () => `/v1/staff/orders/${paidId}/cancel`,
        client: () => warehouse,
        body: () => ({ reason: 'the seller is out of stock' }),
        unchanged: async () => expect(await statusOf(paidId)).toBe('paid'),
      },
      {
        method: 'POST',
        route: '/v1/staff/parcels/{id}/pack',
        url: () => `/v1/staff/parcels/${parcelId}/pack`,
        client: () => warehouse,
        body: () => ({ weightGrams: 1_000 }),
        unchanged: async () =>
          expect(await parcelOf()).toMatchObject({ status: 'requested', shippingFee: null }),
      },
      {
        method: 'POST',
        route: '/v1/staff/parcels/{id}/ship',
        url: () => `/v1/staff/parcels/${parcelId}/ship`,
        client: () => warehouse,
        body: () => ({ trackingNumber: 'LX123456789CN' }),
        unchanged: async () =>
          expect(await parcelOf()).toMatchObject({ status: 'requested', trackingNumber: null }),
      },
      {
        method: 'DELETE',
        route: '/v1/me',
        url: () => '/v1/me',
        client: () => client,
        body: () => ({ password: shopper.password }),
        unchanged: async () => expect((await client.get('/v1/me')).statusCode).toBe(200),
      },
      {
        method: 'POST',
        route: '/v1/staff/customers/{id}/reveal',
        url: () => `/v1/staff/customers/${shopper.userId}/reveal`,
        client: () => support,
        body: () => ({ fields: ['email'], reason: 'the customer asked us to confirm their e-mail' }),
      },
      {
        method: 'POST',
        route: '/v1/staff/exports',
        url: () => '/v1/staff/exports',
        client: () => support,
        body: () => ({ reason: 'the regulator asked for these records', subjectIds: [shopper.userId] }),
      },
      {
        method: 'POST',
        route: '/v1/staff/exports',
        url: () => '/v1/staff/exports',
        client: () => support,
        body: () => ({ reason: 'the regulator asked for these records', filter: { country: 'PL' } }),
        nested: 'filter',
      },
      {
        method: 'POST',
        route: '/v1/admin/api-keys',
        url: () => '/v1/admin/api-keys',
        client: () => admin.client,
        body: () => ({ name: 'Nightly reports', scopes: ['orders:read'], expiresInDays: 30 }),
        unchanged: async () =>
          expect((await admin.client.get('/v1/admin/api-keys')).json().items).toEqual([]),
      },
      {
        method: 'PUT',
        route: '/v1/me/anti-phishing',
        url: () => '/v1/me/anti-phishing',
        client: () => client,
        body: () => ({ phrase: 'purple heron at dawn' }),
        unchanged: async () => expect((await client.get('/v1/me/anti-phishing')).json().phrase).toBeNull(),
      },
      {
        method: 'PUT',
        route: '/v1/admin/staff/{id}/role',
        url: () => `/v1/admin/staff/${finance.userId}/role`,
        client: () => admin.client,
        body: () => ({ role: 'support', reason: 'moved to the support team' }),
        unchanged: async () => expect((await finance.client.get('/v1/me')).json().role).toBe('finance'),
      },
      {
        method: 'POST',
        route: '/v1/security/incidents',
        url: () => '/v1/security/incidents',
        client: () => security,
        body: () => ({ title: 'A phishing mail quoting an order', severity: 'medium' }),
        unchanged: async () =>
          expect((await security.get('/v1/security/incidents')).json().items).toEqual([]),
      },
      ...(['state', 'assign', 'notes', 'scope'] as const).map((action) => ({
        method: 'POST' as const,
        route: `/v1/security/incidents/{id}/${action}`,
        url: () => `/v1/security/incidents/inc_${'0'.repeat(26)}/${action}`,
        client: () => security,
        body: () =>
          action === 'state'
            ? { state: 'triaged', note: 'the mail quotes a real order' }
            : action === 'assign'
              ? { ownerId: admin.userId }
              : action === 'scope'
                ? { principals: [admin.userId] }
                : { text: 'asked the customer for the headers' },
      })),
      {
        method: 'PUT',
        route: '/v1/security/incidents/{id}/assessment',
        url: () => `/v1/security/incidents/inc_${'0'.repeat(26)}/assessment`,
        client: () => security,
        body: () => ({ cause: 'a support token was phished', unauthorizedAccess: true }),
      },
      {
        method: 'POST',
        route: '/v1/security/incidents/{id}/notices/approve',
        url: () => `/v1/security/incidents/inc_${'0'.repeat(26)}/notices/approve`,
        client: () => security,
        body: () => ({ batch: `ndr_${'0'.repeat(26)}` }),
      },
      {
        method: 'POST',
        route: '/v1/security/incidents/{id}/notices/{noticeId}/filed',
        url: () => `/v1/security/incidents/inc_${'0'.repeat(26)}/notices/ntc_${'0'.repeat(26)}/filed`,
        client: () => security,
        body: () => ({ reference: 'ICO-2026-0001' }),
      },
      {
        method: 'POST',
        route: '/v1/security/incidents/{id}/playbooks',
        url: () => `/v1/security/incidents/inc_${'0'.repeat(26)}/playbooks`,
        client: () => security,
        body: () => ({ playbook: 'stolen-token' }),
      },
      {
        method: 'POST',
        route: '/v1/security/incidents/{id}/playbooks/{playbook}/steps/{step}',
        url: () => `/v1/security/incidents/inc_${'0'.repeat(26)}/playbooks/stolen-token/steps/origin`,
        client: () => security,
        body: () => ({ outcome: 'done', note: 'found the phishing page' }),
      },
      {
        method: 'POST',
        route: '/v1/security/freezes',
        url: () => '/v1/security/freezes',
        client: () => security,
        body: () => ({ prefix: '/v1/orders', mode: 'read_only', reason: 'containing an incident' }),
        unchanged: async () => expect((await security.get('/v1/security/freezes')).json().items).toEqual([]),
      },
      {
        method: 'POST',
        route: '/v1/security/drills',
        url: () => '/v1/security/drills',
        client: () => security,
        body: () => ({ results: [drillResult()] }),
      },
      {
        method: 'POST',
        route: '/v1/security/drills',
        url: () => '/v1/security/drills',
        client: () => security,
        body: () => ({ results: [drillResult()] }),
        nested: 'results[0]',
      },
      {
        method: 'PUT',
        route: '/v1/security/drills/schedule',
        url: () => '/v1/security/drills/schedule',
        client: () => security,
        body: () => ({ scenarios: ['lookup'], everyHours: 24 }),
      },
      {
        method: 'POST',
        route: '/v1/security/containments/{id}/lift',
        url: () => `/v1/security/containments/cnt_${'0'.repeat(26)}/lift`,
        client: () => security,
        body: () => ({ note: 'checked with the customer' }),
      },
    ];

    it('covers every endpoint that takes a JSON body', () => {
      const documented = new Set<string>();
      const paths = (
        test.app as unknown as { swagger(): { paths: Record<string, Record<string, unknown>> } }
      ).swagger().paths;
      for (const [path, operations] of Object.entries(paths)) {
        for (const [method, operation] of Object.entries(operations)) {
          if ((operation as { requestBody?: unknown }).requestBody)
            documented.add(`${method.toUpperCase()} ${path}`);
        }
      }
      expect(new Set(endpoints.map((e) => `${e.method} ${e.route}`))).toEqual(documented);
    });

    it.each(
      endpoints.map((e) => [`${e.method} ${e.route}${e.nested ? ` (in ${e.nested})` : ''}`, e] as const),
    )('%s refuses unknown properties with a 400 naming each one', async (_name, endpoint) => {
      const balanceBefore = await balance();
      for (const key of EXTRA_KEYS) {
        const body = endpoint.body();
        // A key the body really has (a role change's `role`) is not an extra one.
        if (!endpoint.nested && Object.hasOwn(body, key)) continue;
        const value = key === 'balance' ? 99_999_999 : key === 'role' ? 'admin' : 'CANARY-VALUE';
        const target = (endpoint.nested ?? '')
          .split(/[.[\]]/)
          .filter(Boolean)
          .reduce((object, step) => object[step] as Record<string, unknown>, body);
        Object.defineProperty(target, key, { value, enumerable: true });
        const problem = await refused(
          () => endpoint.client().request(endpoint.method, endpoint.url(), body, endpoint.headers?.() ?? {}),
          400,
          `body.${endpoint.nested ? `${endpoint.nested}.` : ''}${key}`,
          'PLATFORM_VALIDATION_FAILED',
        );
        // The refusal names the field and never echoes what was sent.
        expect(JSON.stringify(problem)).not.toContain('CANARY-VALUE');
      }
      await endpoint.unchanged?.();
      expect(await balance()).toBe(balanceBefore);
    });

    it('a refused refresh does not use up the refresh token', async () => {
      await refused(
        () => test.anonymous.post('/v1/auth/refresh', { refreshToken, userId: shopper.userId }),
        400,
      );
      const refreshed = await test.anonymous.post('/v1/auth/refresh', { refreshToken });
      expect(refreshed.statusCode, refreshed.body).toBe(200);
      refreshToken = refreshed.json().refreshToken;
    });
  });

  describe('countries, phone numbers and control characters', () => {
    it.each([
      [{ country: 'XX' }, 422, 'body.country'],
      [{ country: 'ZZ' }, 422, 'body.country'],
      [{ country: 'pl' }, 400, 'body.country'],
      [{ country: 'POL' }, 400, 'body.country'],
      [{ country: '' }, 400, 'body.country'],
      [{ phone: '+10000000' }, 422, 'body.phone'],
      [{ phone: '0048601234567' }, 400, 'body.phone'],
      [{ phone: '+48 601 234 567' }, 400, 'body.phone'],
      [{ phone: '+48601234567;drop' }, 400, 'body.phone'],
      [{ phone: '+0123456789' }, 400, 'body.phone'],
    ])('a registration with %j is a %i naming %s', async (overrides, status, field) => {
      await refused(
        () => test.anonymous.post('/v1/auth/register', validRegistration(overrides)),
        status,
        field,
      );
    });

    it('profiles and addresses check countries and phone numbers the same way', async () => {
      await refused(
        () => client.patch('/v1/me', { country: 'ZZ' }),
        422,
        'body.country',
        'IDENTITY_INVALID_PROFILE',
      );
      await refused(() => client.patch('/v1/me', { phone: '+10000000' }), 422, 'body.phone');
      await refused(() => client.patch('/v1/me', { language: 'english!' }), 400, 'body.language');
      await refused(
        () => client.post('/v1/me/addresses', validAddress({ country: 'ZZ' })),
        422,
        'body.country',
        'COMMERCE_INVALID_ADDRESS',
      );
      await refused(
        () => client.post('/v1/me/addresses', validAddress({ phone: '+10000000' })),
        422,
        'body.phone',
      );
      await refused(
        () => client.post('/v1/me/addresses', validAddress({ phone: '+1234' })),
        400,
        'body.phone',
      );
      await refused(
        () => client.post('/v1/me/addresses', validAddress({ postalCode: '!!' })),
        400,
        'body.postalCode',
      );
      await refused(
        () => client.patch(`/v1/me/addresses/${addressId}`, { country: 'ZZ' }),
        422,
        'body.country',
      );
      expect((await client.get('/v1/me')).json().country).toBe('PL');
    });

    const CONTROL = [
      '\u0000',
      '\u0007',
      '\u001b[31m',
      '\u007f',
      '\u0085',
      '\u009b',
      'line\nbreak',
      'tab\there',
    ];

    it.each(CONTROL.map((c) => [JSON.stringify(c), c]))(
      'text with the control character %s is a 400',
      async (_n, c) => {
        const text = `Sneakers ${c} size 42`;
        await refused(
          () => client.post('/v1/orders', orderBody({ items: [item({ title: text })] })),
          400,
          'body.items[0].title',
        );
        await refused(
          () => client.post('/v1/orders', orderBody({ items: [item({ options: text })] })),
          400,
          'body.items[0].options',
        );
        await refused(() => client.post('/v1/orders', orderBody({ note: text })), 400, 'body.note');
        await refused(
          () => client.post('/v1/me/addresses', validAddress({ recipientName: text })),
          400,
          'body.recipientName',
        );
        await refused(() => client.post('/v1/me/addresses', validAddress({ city: text })), 400, 'body.city');
        await refused(() => client.patch('/v1/me', { fullName: text }), 400, 'body.fullName');
        await refused(
          () => test.anonymous.post('/v1/auth/register', validRegistration({ fullName: text })),
          400,
          'body.fullName',
        );
        await refused(
          () => warehouse.post(`/v1/staff/orders/${paidId}/cancel`, { reason: text }),
          400,
          'body.reason',
        );
        expect(await statusOf(paidId)).toBe('paid');
      },
    );
  });

  describe('arbitrary JSON', () => {
    const anyJson = fc.oneof(
      fc.jsonValue({ stringUnit: 'binary' }),
      fc.object({ stringUnit: 'binary' }),
      fc.dictionary(
        fc.constantFrom('__proto__', 'constructor', 'prototype', 'items', 'amount', 'email'),
        fc.jsonValue(),
      ),
    );
    /** Mostly a valid value, sometimes any JSON at all. */
    const field = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 15, arbitrary: valid }, fc.jsonValue());
    /**
     * Bodies close to valid ones, so that requests get past the schema and reach the services: every field
     * mostly valid, now and then one left out, now and then an unknown one added.
     */
    const nearly = (fields: Record<string, fc.Arbitrary<unknown>>) =>
      fc
        .tuple(
          fc.record(fields),
          fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, fc.constantFrom(...Object.keys(fields))),
          fc.oneof(
            { weight: 9, arbitrary: fc.constant(null) },
            fc.tuple(fc.string({ unit: 'binary', maxLength: 12 }), fc.jsonValue()),
          ),
        )
        .map(([body, drop, extra]) => {
          const result: Record<string, unknown> = { ...body };
          if (drop !== null) delete result[drop];
          if (extra) Object.defineProperty(result, extra[0], { value: extra[1], enumerable: true });
          return result;
        });
    const text = fc.oneof(
      { weight: 9, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }) },
      fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
    );

    /** Any JSON at all, or (three times as often) a body close to a valid one. */
    const bodiesLike = (near: fc.Arbitrary<unknown>) => fc.oneof(anyJson, { weight: 3, arbitrary: near });

    const targets: [string, fc.Arbitrary<unknown>, () => Client, () => Record<string, string>][] = [
      [
        '/v1/orders',
        bodiesLike(
          nearly({
            items: field(
              fc.array(
                fc.record({
                  link: field(fc.constantFrom(TAOBAO, 'item.jd.com/100012043978.html', 'https://evil.com/x')),
                  title: field(text),
                  options: field(fc.option(text, { freq: 3 })),
                  quantity: field(
                    fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 1, max: 999 }) }, fc.integer()),
                  ),
                  unitPrice: field(
                    fc.oneof(
                      { weight: 12, arbitrary: fc.integer({ min: 1, max: 100_000_000 }) },
                      fc.integer(),
                      fc.double(),
                    ),
                  ),
                }),
                { minLength: 1, maxLength: 3 },
              ),
            ),
            domesticShipping: field(
              fc.oneof({ weight: 12, arbitrary: fc.nat({ max: 10_000_000 }) }, fc.integer()),
            ),
            note: field(fc.option(text, { freq: 3 })),
          }),
        ),
        () => client,
        () => ({}),
      ],
      [
        '/v1/me/addresses',
        bodiesLike(
          nearly({
            label: field(fc.option(text, { freq: 3 })),
            recipientName: field(text),
            phone: field(
              fc.constantFrom('+48601234567', '+4915112345678', '+447911123456', '+10000000', '12345'),
            ),
            line1: field(text),
            line2: field(fc.option(text, { freq: 3 })),
            city: field(text),
            region: field(fc.option(text, { freq: 3 })),
            postalCode: field(fc.constantFrom('00-950', '10115', 'SW1A 1AA', '!')),
            country: field(fc.constantFrom('PL', 'DE', 'GB', 'ZZ', 'pl')),
            isDefault: field(fc.boolean()),
          }),
        ),
        () => client,
        () => ({}),
      ],
      [
        '/v1/auth/register',
        bodiesLike(
          nearly({
            email: field(fc.emailAddress()),
            password: field(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 })),
            fullName: field(text),
            phone: field(fc.constantFrom('+48601234567', '+10000000')),
            country: field(fc.constantFrom('PL', 'DE', 'XX', 'pl')),
            language: field(fc.constantFrom('en', 'pl', 'zh-Hans', 'EN')),
          }),
        ),
        () => test.anonymous,
        () => ({}),
      ],
      [
        '/v1/wallet/top-ups',
        bodiesLike(
          nearly({
            amount: field(
              fc.oneof(
                { weight: 4, arbitrary: fc.integer({ min: 100, max: 100_000_000 }) },
                fc.integer(),
                fc.double(),
                fc.bigInt().map(String),
              ),
            ),
          }),
        ),
        () => client,
        () => ({ 'idempotency-key': idempotencyKey() }),
      ],
      [
        '/v1/wallet/withdrawals',
        bodiesLike(
          nearly({
            amount: field(
              fc.oneof(
                { weight: 4, arbitrary: fc.integer({ min: 100, max: 100_000_000 }) },
                fc.integer(),
                fc.double(),
                fc.bigInt().map(String),
              ),
            ),
          }),
        ),
        () => client,
        () => ({ 'idempotency-key': idempotencyKey() }),
      ],
    ];

    it.each(targets)(
      'POST %s never answers 5xx, refuses with problem+json and writes only on success',
      async (url, body, c, headers) => {
        await fc.assert(
          fc.asyncProperty(body, async (value) => {
            const raw = JSON.stringify(value);
            const before = await counts();
            const response = await c().request('POST', url, raw, { ...JSON_TYPE, ...headers() });
            expect(response.statusCode, response.body).toBeLessThan(500);
            if (response.statusCode >= 400) {
              expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
              const problem = response.json();
              expect(problem.status).toBe(response.statusCode);
              expect(problem.code).toMatch(/^[A-Z]+_[A-Z_]+$/);
              for (const error of problem.errors ?? []) expect(error.field).toMatch(/^(body|header)\b/);
            }
            if (response.statusCode >= 300) expect(await counts()).toEqual(before);
          }),
          { numRuns: 60 },
        );
      },
    );
  });
});
