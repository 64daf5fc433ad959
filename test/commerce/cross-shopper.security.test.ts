import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressBody, idempotencyKey, OrderFlow, PNG_1X1 } from '../helpers/commerce-flows.ts';
import { sampleParam } from '../helpers/route-params.ts';
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
 * Shopper A owns records in every interesting state; shopper B holds a valid bearer token and A's IDs,
 * as an attacker who scraped them from a screenshot would. Everything B tries must look exactly like
 * asking for something that does not exist, and must change nothing of A's.
 */

type Response = LightMyRequestResponse;

// Crockford base32, as IDs are minted: a well-formed ID that nobody owns.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
function randomId(prefix: string): string {
  const body = [...randomBytes(26)].map((byte) => ALPHABET[byte % 32]).join('');
  return `${prefix}_${body}`;
}

const ADDRESS = addressBody();

/** A's orders, one per state an attacker could hope to move. */
const A_ORDER_STATES = [
  'draft',
  'paid',
  'purchasing',
  'purchased',
  'in_warehouse',
  'qc_ready',
  'approved',
  'return_requested',
  'refunded',
  'withdrawn',
] as const;
type AOrderState =
  | (typeof A_ORDER_STATES)[number]
  | 'parcelled (requested parcel)'
  | 'parcelled (packed parcel)'
  | 'paid (with a known key)';

/** What a response reveals, apart from the request id that differs on every response. */
function revealed(response: Response) {
  const { requestId: _requestId, ...body } = response.json();
  const { 'x-request-id': _id, date: _date, ratelimit, ...rest } = response.headers;
  // What is left of the caller's own budgets moves with every request, whatever the record: compare
  // which policies are reported, not how much of them is left.
  const headers = { ...rest, ratelimit: String(ratelimit).replace(/;r=\d+;t=\d+/g, '') };
  return { status: response.statusCode, headers, body };
}

/** `real` (a request about A's record) must reveal exactly what `missing` (a made-up ID) does: a 404. */
function expectSameAsMissing(real: Response, missing: Response) {
  expectProblem(missing, 404);
  expectProblem(real, 404);
  expect(revealed(real)).toEqual(revealed(missing));
}

interface OpenApiOperation {
  security?: unknown[];
  parameters?: { in: string; name: string; schema?: { pattern?: string } }[];
}
type OpenApiPaths = Record<string, Record<string, OpenApiOperation>>;

const BODIES: Record<string, unknown> = {
  arrival: { weightGrams: 800 },
  cancel: { reason: 'the seller is out of stock' },
  pack: { weightGrams: 1_100 },
  ship: { trackingNumber: 'LX123456789CN' },
};

describe('one shopper can neither see nor touch another shopper’s records', () => {
  let test: TestApp;
  let flow: OrderFlow;
  let warehouse: Client;
  let staff: Record<'support' | 'finance' | 'security' | 'admin', Client>;
  let paths: OpenApiPaths;

  let a: Shopper;
  let aCookie: Client;
  const aOrders = new Map<AOrderState, string>();
  const aOrder = (state: AOrderState) => aOrders.get(state) as string;
  let aAddress: string;
  let aRequestedParcel: string;
  let aPackedParcel: string;
  let aPhoto: string;
  let aSessions: string[];
  const aPaymentKey = idempotencyKey();
  const aTopUpKey = idempotencyKey();
  let aSnapshot: Awaited<ReturnType<typeof snapshotOfA>>;

  let b: Shopper;
  let bApproved: string;
  let bAddress: string;
  let bBalance: number;

  /** Everything of A's, as A reads it. */
  async function snapshotOfA() {
    const read = async (url: string) => {
      const response = await a.client.get(url);
      expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
      return response;
    };
    const orders: Record<string, unknown> = {};
    for (const [state, id] of aOrders) orders[state] = (await read(`/v1/orders/${id}`)).json();
    return {
      orders,
      orderList: (await read('/v1/orders?limit=100')).json(),
      parcels: [
        (await read(`/v1/parcels/${aRequestedParcel}`)).json(),
        (await read(`/v1/parcels/${aPackedParcel}`)).json(),
      ],
      parcelList: (await read('/v1/parcels?limit=100')).json(),
      address: (await read(`/v1/me/addresses/${aAddress}`)).json(),
      addresses: (await read('/v1/me/addresses')).json(),
      sessions: (await read('/v1/me/sessions')).json().items.map((s: { id: string }) => s.id),
      wallet: (await read('/v1/wallet')).json(),
      transactions: (await read('/v1/wallet/transactions?limit=100')).json(),
      photo: (await read(`/v1/orders/${aOrder('qc_ready')}/photos/${aPhoto}`)).rawPayload.toString('base64'),
    };
  }

  /** Re-reads all of A's records as A: not a field may have moved, and A's sessions all still work. */
  async function expectNothingOfAChanged() {
    expect(await snapshotOfA()).toEqual(aSnapshot);
    expect((await aCookie.get('/v1/me')).statusCode).toBe(200);
  }

  async function expectNothingOfBChanged() {
    expect((await b.client.get('/v1/wallet')).json().balance).toBe(bBalance);
    expect((await b.client.get(`/v1/orders/${bApproved}`)).json()).toMatchObject({
      status: 'approved',
      parcelId: null,
    });
    expect((await b.client.get('/v1/parcels')).json().items).toEqual([]);
  }

  /** Every ID of A's that must never appear in anything B receives. */
  const aIds = () => [
    a.userId,
    ...aOrders.values(),
    aAddress,
    aRequestedParcel,
    aPackedParcel,
    aPhoto,
    ...aSessions,
  ];

  async function parcelOf(shopper: Client, orderIds: string[], addressId: string): Promise<string> {
    const response = await shopper.post('/v1/parcels', {
      orderIds,
      shippingLine: 'eu-tax-free',
      addressId,
      declaredValue: 20_000,
    });
    if (response.statusCode !== 201) throw new Error(`parcel failed: ${response.body}`);
    return response.json().id;
  }

  beforeAll(async () => {
    test = await createTestApp();
    flow = new OrderFlow(test);
    [warehouse, a, b] = await Promise.all([flow.warehouse, signUp(test), signUp(test)]);
    const [support, finance, security, admin] = await Promise.all(
      (['support', 'finance', 'security', 'admin'] as const).map((role) => staffClient(test, role)),
    );
    staff = {
      support: support as Client,
      finance: finance as Client,
      security: security as Client,
      admin: admin as Client,
    };
    paths = (await test.anonymous.get('/openapi.json')).json().paths;

    // A: a second API login and a web (cookie) session, so A has several sessions for B to aim at.
    await logIn(test, a.email, a.password);
    const web = await test.anonymous.post('/v1/auth/login', { email: a.email, password: a.password });
    expect(web.statusCode, web.body).toBe(200);
    const cookie = String(web.headers['set-cookie']).split(';')[0] as string;
    aCookie = new Client(test.app, { cookie });

    await Promise.all(
      A_ORDER_STATES.map(async (state) => aOrders.set(state, await flow.orderIn(a.client, state))),
    );
    const address = await a.client.post('/v1/me/addresses', ADDRESS);
    aAddress = address.json().id;
    const [inRequested, inPacked] = await Promise.all([
      flow.orderIn(a.client, 'approved'),
      flow.orderIn(a.client, 'approved'),
    ]);
    aOrders.set('parcelled (requested parcel)', inRequested);
    aOrders.set('parcelled (packed parcel)', inPacked);
    aRequestedParcel = await parcelOf(a.client, [inRequested], aAddress);
    aPackedParcel = await parcelOf(a.client, [inPacked], aAddress);
    const packed = await warehouse.post(`/v1/staff/parcels/${aPackedParcel}/pack`, BODIES.pack);
    expect(packed.statusCode, packed.body).toBe(200);
    const known = await flow.create(a.client);
    const knownPay = await a.client.post(`/v1/orders/${known}/pay`, undefined, {
      'idempotency-key': aPaymentKey,
    });
    expect(knownPay.statusCode, knownPay.body).toBe(200);
    aOrders.set('paid (with a known key)', known);
    const top = await a.client.post(
      '/v1/wallet/top-ups',
      { amount: 1_000 },
      { 'idempotency-key': aTopUpKey },
    );
    expect(top.statusCode, top.body).toBe(201);
    aPhoto = (await a.client.get(`/v1/orders/${aOrder('qc_ready')}`)).json().photos[0].id;
    aSessions = (await a.client.get('/v1/me/sessions')).json().items.map((s: { id: string }) => s.id);

    // B: money, an approved order and an address of its own, to build requests that would otherwise work.
    bApproved = await flow.orderIn(b.client, 'approved');
    bAddress = (await b.client.post('/v1/me/addresses', ADDRESS)).json().id;
    bBalance = (await b.client.get('/v1/wallet')).json().balance;

    aSnapshot = await snapshotOfA();
  });
  afterAll(() => test.close());

  it('A really owns what B will aim at (so the attempts below are not vacuous)', () => {
    expect(aSessions).toHaveLength(3);
    expect(aSnapshot.parcels.map((p: { status: string }) => p.status)).toEqual(['requested', 'packed']);
    for (const state of A_ORDER_STATES) {
      expect((aSnapshot.orders[state] as { status: string }).status).toBe(state);
    }
    expect(aSnapshot.orders['parcelled (packed parcel)']).toMatchObject({ status: 'parcelled' });
    expect(aSnapshot.photo).toBe(PNG_1X1.toString('base64'));
  });

  describe('as a shopper with a valid token', () => {
    const each = (fn: (state: AOrderState) => Promise<void>) => async () => {
      for (const state of aOrders.keys()) await fn(state);
      await expectNothingOfAChanged();
      await expectNothingOfBChanged();
    };

    it(
      "a shopper cannot read another shopper's order: same 404 as a missing one",
      each(async (state) => {
        expectSameAsMissing(
          await b.client.get(`/v1/orders/${aOrder(state)}`),
          await b.client.get(`/v1/orders/${randomId('ord')}`),
        );
      }),
    );

    for (const action of ['pay', 'cancel', 'approve', 'return'] as const) {
      it(
        `a shopper cannot ${action} another shopper's order, whatever its state: same 404 as a missing one`,
        each(async (state) => {
          const send = (id: string) =>
            b.client.post(`/v1/orders/${id}/${action}`, undefined, { 'idempotency-key': idempotencyKey() });
          expectSameAsMissing(await send(aOrder(state)), await send(randomId('ord')));
        }),
      );
    }

    it("a shopper cannot see another shopper's QC photo, not even through an order of their own", async () => {
      const missing = await b.client.get(`/v1/orders/${randomId('ord')}/photos/${randomId('pho')}`);
      expectSameAsMissing(await b.client.get(`/v1/orders/${aOrder('qc_ready')}/photos/${aPhoto}`), missing);
      expectSameAsMissing(await b.client.get(`/v1/orders/${bApproved}/photos/${aPhoto}`), missing);
      await expectNothingOfAChanged();
    });

    it("a shopper cannot read, change or delete another shopper's address: same 404 as a missing one", async () => {
      const missing = randomId('adr');
      expectSameAsMissing(
        await b.client.get(`/v1/me/addresses/${aAddress}`),
        await b.client.get(`/v1/me/addresses/${missing}`),
      );
      const patch = { city: 'Kraków', line1: 'ul. Floriańska 1', isDefault: true };
      expectSameAsMissing(
        await b.client.patch(`/v1/me/addresses/${aAddress}`, patch),
        await b.client.patch(`/v1/me/addresses/${missing}`, patch),
      );
      expectSameAsMissing(
        await b.client.delete(`/v1/me/addresses/${aAddress}`),
        await b.client.delete(`/v1/me/addresses/${missing}`),
      );
      await expectNothingOfAChanged();
    });

    it("a shopper cannot read, pay or cancel another shopper's parcel: same 404 as a missing one", async () => {
      for (const parcel of [aRequestedParcel, aPackedParcel]) {
        const missing = randomId('pcl');
        expectSameAsMissing(
          await b.client.get(`/v1/parcels/${parcel}`),
          await b.client.get(`/v1/parcels/${missing}`),
        );
        const pay = (id: string) =>
          b.client.post(`/v1/parcels/${id}/pay`, undefined, { 'idempotency-key': idempotencyKey() });
        expectSameAsMissing(await pay(parcel), await pay(missing));
        expectSameAsMissing(
          await b.client.post(`/v1/parcels/${parcel}/cancel`),
          await b.client.post(`/v1/parcels/${missing}/cancel`),
        );
      }
      await expectNothingOfAChanged();
      await expectNothingOfBChanged();
    });

    it("a shopper cannot revoke another shopper's session: same 404 as a missing one", async () => {
      expect(aSessions.length).toBeGreaterThan(0);
      for (const session of aSessions) {
        expectSameAsMissing(
          await b.client.delete(`/v1/me/sessions/${session}`),
          await b.client.delete(`/v1/me/sessions/${randomId('ses')}`),
        );
      }
      // A's three sessions are still listed and still let A in.
      await expectNothingOfAChanged();
      expect((await a.client.get('/v1/me')).json().id).toBe(a.userId);
    });

    it("a shopper cannot parcel another shopper's order, alone or next to their own: same 404 as a missing one", async () => {
      const create = (orderIds: string[], addressId = bAddress) =>
        b.client.post('/v1/parcels', {
          orderIds,
          shippingLine: 'eu-tax-free',
          addressId,
          declaredValue: 20_000,
        });
      const missing = await create([randomId('ord')]);
      expectSameAsMissing(await create([aOrder('approved')]), missing);
      expectSameAsMissing(
        await create([bApproved, aOrder('approved')]),
        await create([bApproved, randomId('ord')]),
      );
      expectSameAsMissing(await create([aOrder('parcelled (requested parcel)')]), missing);
      await expectNothingOfAChanged();
      await expectNothingOfBChanged();
    });

    it("a shopper cannot ship a parcel to another shopper's address: same 404 as a missing one", async () => {
      const create = (addressId: string) =>
        b.client.post('/v1/parcels', {
          orderIds: [bApproved],
          shippingLine: 'eu-tax-free',
          addressId,
          declaredValue: 20_000,
        });
      expectSameAsMissing(await create(aAddress), await create(randomId('adr')));
      await expectNothingOfAChanged();
      await expectNothingOfBChanged();
    });

    it("an idempotency key belongs to its shopper: reusing another shopper's key neither replays their answer nor is refused", async () => {
      const c = await signUp(test);
      const draft = await flow.create(c.client);
      // A paid an order with the first key and topped up with the second; C uses them the other way round.
      const top = await c.client.post(
        '/v1/wallet/top-ups',
        { amount: 100_000 },
        { 'idempotency-key': aPaymentKey },
      );
      expect(top.statusCode, top.body).toBe(201);
      expect(top.headers['idempotent-replayed']).toBeUndefined();
      expect(top.json()).toMatchObject({ kind: 'top_up', amount: 100_000, balanceAfter: 100_000 });
      const paid = await c.client.post(`/v1/orders/${draft}/pay`, undefined, {
        'idempotency-key': aTopUpKey,
      });
      expect(paid.statusCode, paid.body).toBe(200);
      expect(paid.headers['idempotent-replayed']).toBeUndefined();
      expect(paid.json()).toMatchObject({ id: draft, status: 'paid' });
      for (const id of aIds()) expect(top.body + paid.body).not.toContain(id);
      await expectNothingOfAChanged();
    });

    it("a shopper's listings never include another shopper's records, under any filter", async () => {
      const orderStatuses = [...A_ORDER_STATES, 'parcelled', 'shipped', 'delivered', 'cancelled'];
      const parcelStatuses = ['requested', 'packed', 'paid', 'shipped', 'delivered', 'cancelled'];
      const lists = [
        '/v1/orders?limit=100',
        ...orderStatuses.map((s) => `/v1/orders?limit=100&status=${s}`),
        '/v1/parcels?limit=100',
        ...parcelStatuses.map((s) => `/v1/parcels?limit=100&status=${s}`),
        '/v1/me/addresses',
        '/v1/me/sessions',
        '/v1/wallet/transactions?limit=100',
        '/v1/me',
      ];
      for (const url of lists) {
        const response = await b.client.get(url);
        expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
        for (const id of aIds()) expect(response.body, `${url} leaks ${id}`).not.toContain(id);
      }
      // B does see its own records, so the lists above were not simply empty.
      expect((await b.client.get('/v1/orders')).body).toContain(bApproved);
      expect((await b.client.get('/v1/me/addresses')).body).toContain(bAddress);
    });
  });

  describe('as staff', () => {
    type Role = keyof typeof staff;
    /** Each of these would succeed for the warehouse; the role making it lacks the permission. */
    const ord = () => randomId('ord');
    const pcl = () => randomId('pcl');
    /** Each of these would succeed for the warehouse (or support); the role making it lacks the permission. */
    const WRONG_ROLE: {
      role: Role;
      method: 'GET' | 'POST';
      route: string;
      real: () => string;
      missing: () => string;
      body?: unknown;
    }[] = [
      {
        role: 'finance',
        method: 'POST',
        route: '/v1/staff/orders/:id/purchasing',
        real: () => `/v1/staff/orders/${aOrder('paid')}/purchasing`,
        missing: () => `/v1/staff/orders/${ord()}/purchasing`,
      },
      {
        role: 'admin',
        method: 'POST',
        route: '/v1/staff/orders/:id/purchased',
        real: () => `/v1/staff/orders/${aOrder('purchasing')}/purchased`,
        missing: () => `/v1/staff/orders/${ord()}/purchased`,
      },
      {
        role: 'finance',
        method: 'POST',
        route: '/v1/staff/orders/:id/arrival',
        real: () => `/v1/staff/orders/${aOrder('purchased')}/arrival`,
        missing: () => `/v1/staff/orders/${ord()}/arrival`,
        body: BODIES.arrival,
      },
      {
        role: 'support',
        method: 'POST',
        route: '/v1/staff/orders/:id/cancel',
        real: () => `/v1/staff/orders/${aOrder('paid')}/cancel`,
        missing: () => `/v1/staff/orders/${ord()}/cancel`,
        body: BODIES.cancel,
      },
      {
        role: 'security',
        method: 'POST',
        route: '/v1/staff/orders/:id/return-completed',
        real: () => `/v1/staff/orders/${aOrder('return_requested')}/return-completed`,
        missing: () => `/v1/staff/orders/${ord()}/return-completed`,
      },
      {
        role: 'support',
        method: 'POST',
        route: '/v1/staff/parcels/:id/pack',
        real: () => `/v1/staff/parcels/${aRequestedParcel}/pack`,
        missing: () => `/v1/staff/parcels/${pcl()}/pack`,
        body: BODIES.pack,
      },
      {
        role: 'finance',
        method: 'POST',
        route: '/v1/staff/parcels/:id/ship',
        real: () => `/v1/staff/parcels/${aPackedParcel}/ship`,
        missing: () => `/v1/staff/parcels/${pcl()}/ship`,
        body: BODIES.ship,
      },
      {
        role: 'admin',
        method: 'POST',
        route: '/v1/staff/parcels/:id/delivered',
        real: () => `/v1/staff/parcels/${aPackedParcel}/delivered`,
        missing: () => `/v1/staff/parcels/${pcl()}/delivered`,
      },
      {
        role: 'security',
        method: 'GET',
        route: '/v1/staff/orders/:id',
        real: () => `/v1/staff/orders/${aOrder('paid')}`,
        missing: () => `/v1/staff/orders/${ord()}`,
      },
      {
        role: 'security',
        method: 'GET',
        route: '/v1/staff/orders/:id/photos/:photoId',
        real: () => `/v1/staff/orders/${aOrder('qc_ready')}/photos/${aPhoto}`,
        missing: () => `/v1/staff/orders/${ord()}/photos/${randomId('pho')}`,
      },
      {
        role: 'security',
        method: 'GET',
        route: '/v1/staff/parcels',
        real: () => '/v1/staff/parcels?limit=100',
        missing: () => '/v1/staff/parcels?limit=100&status=packed',
      },
    ];

    for (const { role, method, route, real: path, missing, body } of WRONG_ROLE) {
      it(`staff with the wrong role (${role}) get 403 on ${method} ${route}, the same as for a missing ID, and nothing changes`, async () => {
        const real = await staff[role].request(method, path(), body);
        const problem = expectProblem(real, 403);
        expect(problem.code).toBe('IDENTITY_FORBIDDEN');
        expect(revealed(real)).toEqual(revealed(await staff[role].request(method, missing(), body)));
        await expectNothingOfAChanged();
      });
    }

    it('staff with the wrong role cannot upload a QC photo (403) and no photo appears', async () => {
      for (const role of ['support', 'finance', 'admin', 'security'] as const) {
        const response = await staff[role].request(
          'POST',
          `/v1/staff/orders/${aOrder('in_warehouse')}/photos`,
          PNG_1X1,
          { 'content-type': 'image/png' },
        );
        expect(expectProblem(response, 403).code).toBe('IDENTITY_FORBIDDEN');
      }
      await expectNothingOfAChanged();
    });
  });

  describe('across every route in the OpenAPI document', () => {
    /** Fills path parameters with A's real IDs where there are some, so a leak would have something to show. */
    function fill(path: string): string {
      return path
        .replace(/\/orders\/\{id\}/, () => `/orders/${aOrder('paid')}`)
        .replace(/\/parcels\/\{id\}/, () => `/parcels/${aRequestedParcel}`)
        .replace(/\/addresses\/\{id\}/, () => `/addresses/${aAddress}`)
        .replace(/\/sessions\/\{id\}/, () => `/sessions/${aSessions[0]}`)
        .replace(/\{photoId\}/, () => aPhoto)
        .replaceAll(
          /\/(staff|customers)\/\{[^}]+\}/g,
          (_m, collection: string) => `/${collection}/${randomId('usr')}`,
        )
        .replaceAll(
          /\/([a-z-]+)\/\{[^}]+\}/g,
          (_m, collection: string) => `/${collection}/${sampleParam(collection)}`,
        );
    }
    function bodyFor(path: string): unknown {
      return BODIES[path.split('/').at(-1) as string] ?? {};
    }
    function send(client: Client, method: string, path: string) {
      const url = fill(path);
      if (url.endsWith('/photos') && method === 'POST') {
        return client.request('POST', url, PNG_1X1, { 'content-type': 'image/png' });
      }
      const body = method === 'GET' || method === 'DELETE' ? undefined : bodyFor(url);
      return client.request(method.toUpperCase() as 'GET', url, body, {
        'idempotency-key': idempotencyKey(),
      });
    }
    const operations = () =>
      Object.entries(paths).flatMap(([path, ops]) =>
        Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
      );

    it("a shopper token gets 403 on every /v1/staff/... route, even on the shopper's own records", async () => {
      const staffOps = operations().filter(({ path }) => path.startsWith('/v1/staff/'));
      expect(staffOps.length).toBeGreaterThanOrEqual(14);
      for (const { path, method } of staffOps) {
        for (const shopper of [a.client, b.client]) {
          const response = await send(shopper, method, path);
          expect(response.statusCode, `${method} ${path}: ${response.body}`).toBe(403);
          expect(expectProblem(response, 403).code).toBe('IDENTITY_FORBIDDEN');
        }
      }
      await expectNothingOfAChanged();
    });

    it('no token, or a token that is not one, gets 401 with WWW-Authenticate on every non-public route', async () => {
      const closed = operations().filter(
        ({ op }) => !(Array.isArray(op.security) && op.security.length === 0),
      );
      expect(closed.length).toBeGreaterThanOrEqual(40);
      const strangers = [
        test.anonymous,
        new Client(test.app, { authorization: 'Bearer bw_at_this-is-not-a-token' }),
        new Client(test.app, { authorization: 'Basic YTpi' }),
        new Client(test.app, { cookie: 'bw_session=bw_ws_forged' }),
      ];
      for (const { path, method } of closed) {
        for (const stranger of strangers) {
          const response = await send(stranger, method, path);
          const problem = expectProblem(response, 401);
          expect(problem.code, `${method} ${path}`).toBe('IDENTITY_UNAUTHENTICATED');
          expect(response.headers['www-authenticate'], `${method} ${path}`).toMatch(/^Bearer /);
        }
      }
      await expectNothingOfAChanged();
    });

    const NAME_PARAMS = ['key', 'playbook', 'step'];
    const MALFORMED_NAMES = [
      'UPPER-CASE',
      'a',
      'x'.repeat(80),
      encodeURIComponent("uk' OR '1'='1"),
      encodeURIComponent('uk\u0000'),
      '..%2F..%2Fetc%2Fpasswd',
      '9lives',
    ];
    it('malformed IDs (wrong prefix, too short, too long, bad characters) get 400 naming the path field, never 500', async () => {
      const callers = () => [b.client, warehouse, staff.support, staff.admin, staff.finance, staff.security];
      const idOps = operations().filter(({ path }) => path.includes('{'));
      expect(idOps.length).toBeGreaterThanOrEqual(20);
      let checked = 0;
      for (const { path, method, op } of idOps) {
        for (const param of (op.parameters ?? []).filter((p) => p.in === 'path')) {
          const own = /^\^([a-z]+)_/.exec(param.schema?.pattern ?? '')?.[1];
          // A few path parameters are names, not IDs (a regulator key, a playbook and its step).
          const named = own === undefined && NAME_PARAMS.includes(param.name);
          expect(own !== undefined || named, `${method} ${path}: ${param.name} has no ID pattern`).toBe(true);
          const body26 = randomId('x').slice(2);
          const malformed = named
            ? MALFORMED_NAMES
            : [
                `${own === 'usr' ? 'ord' : 'usr'}_${body26}`,
                `zz_${body26}`,
                `${own}_${body26.slice(0, 10)}`,
                `${own}_${body26}0`,
                `${own}_${body26.toUpperCase()}`,
                `${own}_${'u'.repeat(26)}`,
                `${own}${body26}`,
                encodeURIComponent(`${own}_' OR '1'='1`),
                encodeURIComponent(`${own}_${'\u0000'.repeat(26)}`),
                '..%2F..%2Fetc%2Fpasswd',
              ];
          for (const bad of malformed) {
            const url = fill(path.replace(`{${param.name}}`, bad));
            // Whoever may call the route at all: the first caller the access check lets through.
            let response: Response | undefined;
            for (const caller of callers()) {
              response = await caller.request(method as 'GET', url, bodyOf(url, method), {
                'idempotency-key': idempotencyKey(),
                ...(url.endsWith('/photos') ? { 'content-type': 'image/png' } : {}),
              });
              if (response.statusCode !== 403) break;
            }
            const answer = response as Response;
            expect(answer.statusCode, `${method} ${url}: ${answer.body}`).toBe(400);
            const problem = expectProblem(answer, 400);
            expect(problem.code).toBe('PLATFORM_VALIDATION_FAILED');
            expect(problem.errors?.map((e) => e.field)).toEqual([`path.${param.name}`]);
            checked += 1;
          }
        }
      }
      expect(checked).toBeGreaterThanOrEqual(200);
      await expectNothingOfAChanged();

      function bodyOf(url: string, method: string): unknown {
        if (method === 'GET' || method === 'DELETE') return undefined;
        if (url.endsWith('/photos')) return PNG_1X1;
        if (url.includes('/addresses/')) return { city: 'Kraków' };
        return bodyFor(url);
      }
    });
  });
});
