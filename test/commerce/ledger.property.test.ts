import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressBody, idempotencyKey, PNG_1X1, TAOBAO } from '../helpers/commerce-flows.ts';
import {
  type Client,
  createTestApp,
  expectProblem,
  type Shopper,
  signUp,
  staffClient,
  type TestApp,
} from '../helpers/test-app.ts';

// A model-based test of the wallet: random sequences of money moves over a few shoppers, driven through
// HTTP only, against a model of every balance, statement, order and parcel. After each run the wallet is
// read back through HTTP and the double-entry ledger is checked row by row in the database.

type Kind = 'top_up' | 'order_payment' | 'shipping_payment' | 'refund';

interface ModelOrder {
  readonly id: string;
  readonly owner: number;
  readonly total: number;
  status: string;
}

interface ModelParcel {
  readonly id: string;
  readonly owner: number;
  readonly line: string;
  readonly orderIds: readonly string[];
  status: string;
  fee: number | null;
}

interface Payment {
  readonly owner: number;
  readonly path: string;
  readonly key: string;
}

interface Model {
  readonly shoppers: number;
  readonly balances: number[];
  /** Each shopper's expected statement, oldest first: kind, signed amount as the wallet sees it, reference. */
  readonly statements: [Kind, number, string | null][][];
  readonly orders: ModelOrder[];
  readonly parcels: ModelParcel[];
  readonly payments: Payment[];
}

interface Real {
  readonly shoppers: readonly Shopper[];
  readonly addresses: readonly string[];
  readonly warehouse: Client;
}

interface Line {
  readonly id: string;
  readonly firstWeightGrams: number;
  readonly firstWeightFee: number;
  readonly extraPer500gFee: number;
  readonly maxWeightGrams: number;
}

type Cmd = fc.AsyncCommand<Model, Real>;

const TOP_UP_MIN = 100;
const TOP_UP_MAX = 100_000_000;
const LINES = ['ems', 'eu-tax-free', 'china-post-sal'] as const;
let lines = new Map<string, Line>();

const expectedFee = (line: Line, grams: number) =>
  line.firstWeightFee + Math.ceil(Math.max(0, grams - line.firstWeightGrams) / 500) * line.extraPer500gFee;

function expectStatus(response: LightMyRequestResponse, status: number) {
  if (response.statusCode !== status) {
    throw new Error(`expected ${status}, got ${response.statusCode}: ${response.body}`);
  }
  return response.json();
}

function credit(model: Model, owner: number, kind: Kind, amount: number, reference: string | null) {
  model.balances[owner] = (model.balances[owner] as number) + amount;
  model.statements[owner]?.push([kind, amount, reference]);
}

async function expectBalance(real: Real, model: Model, owner: number) {
  const wallet = expectStatus(await (real.shoppers[owner] as Shopper).client.get('/v1/wallet'), 200);
  expect(wallet).toEqual({ balance: model.balances[owner], currency: 'CNY' });
}

const own = (model: Model, shopper: number, statuses?: readonly string[]) =>
  model.orders.filter((o) => o.owner === shopper && (!statuses || statuses.includes(o.status)));
const pick = <T>(items: readonly T[], index: number) => items[index % items.length] as T;

class TopUp implements Cmd {
  constructor(
    readonly shopper: number,
    readonly amount: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const owner = this.shopper % model.shoppers;
    const response = await (real.shoppers[owner] as Shopper).client.post(
      '/v1/wallet/top-ups',
      { amount: this.amount },
      { 'idempotency-key': idempotencyKey() },
    );
    const valid = Number.isInteger(this.amount) && this.amount >= TOP_UP_MIN && this.amount <= TOP_UP_MAX;
    if (!valid) {
      const problem = expectProblem(response, 400);
      expect(problem.errors?.[0]?.field).toBe('body.amount');
    } else {
      const body = expectStatus(response, 201);
      credit(model, owner, 'top_up', this.amount, null);
      expect(body).toMatchObject({
        kind: 'top_up',
        amount: this.amount,
        balanceAfter: model.balances[owner],
      });
    }
    await expectBalance(real, model, owner);
  }
  toString = () => `TopUp(${this.shopper}, ${this.amount})`;
}

class CreateOrder implements Cmd {
  constructor(
    readonly shopper: number,
    readonly items: readonly { quantity: number; unitPrice: number }[],
    readonly domesticShipping: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const owner = this.shopper % model.shoppers;
    const response = await (real.shoppers[owner] as Shopper).client.post('/v1/orders', {
      items: this.items.map((item, i) => ({ link: TAOBAO, title: `Item ${i}`, ...item })),
      domesticShipping: this.domesticShipping,
    });
    const body = expectStatus(response, 201);
    const itemsTotal = this.items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);
    const total = itemsTotal + this.domesticShipping + Math.ceil(itemsTotal / 20);
    expect(body).toMatchObject({ status: 'draft', itemsTotal, total });
    model.orders.push({ id: body.id, owner, total, status: 'draft' });
  }
  toString = () => `CreateOrder(${this.shopper}, ${JSON.stringify(this.items)}, ${this.domesticShipping})`;
}

// Each step acts on one order or parcel and predicts the answer from the model alone.

async function payOrder(model: Model, real: Real, order: ModelOrder) {
  const path = `/v1/orders/${order.id}/pay`;
  const key = idempotencyKey();
  const { client } = real.shoppers[order.owner] as Shopper;
  const response = await client.post(path, undefined, { 'idempotency-key': key });
  const balance = model.balances[order.owner] as number;
  if (order.status !== 'draft') {
    const problem = expectProblem(response, 409);
    expect(problem).toMatchObject({ code: 'COMMERCE_ORDER_TRANSITION_REFUSED', currentStatus: order.status });
  } else if (balance < order.total) {
    const problem = expectProblem(response, 402);
    expect(problem).toMatchObject({ code: 'COMMERCE_INSUFFICIENT_FUNDS', balance, required: order.total });
  } else {
    expect(expectStatus(response, 200).status).toBe('paid');
    order.status = 'paid';
    credit(model, order.owner, 'order_payment', -order.total, order.id);
    model.payments.push({ owner: order.owner, path, key });
  }
  await expectBalance(real, model, order.owner);
}

/** The warehouse buys, receives and photographs the item; the shopper approves it. */
async function receiveAndApprove(real: Real, order: ModelOrder) {
  const staff = (step: string, body?: unknown) =>
    real.warehouse.post(`/v1/staff/orders/${order.id}/${step}`, body);
  if (order.status === 'paid') expectStatus(await staff('purchasing'), 200);
  expectStatus(await staff('purchased'), 200);
  expectStatus(await staff('arrival', { weightGrams: 600 }), 200);
  const photo = await real.warehouse.request('POST', `/v1/staff/orders/${order.id}/photos`, PNG_1X1, {
    'content-type': 'image/png',
  });
  expectStatus(photo, 201);
  expectStatus(await staff('qc-ready'), 200);
  const { client } = real.shoppers[order.owner] as Shopper;
  expect(expectStatus(await client.post(`/v1/orders/${order.id}/approve`), 200).status).toBe('approved');
  order.status = 'approved';
}

async function createParcel(
  model: Model,
  real: Real,
  orders: readonly ModelOrder[],
  line: string,
  declaredValue: number,
) {
  const owner = (orders[0] as ModelOrder).owner;
  const response = await (real.shoppers[owner] as Shopper).client.post('/v1/parcels', {
    orderIds: orders.map((o) => o.id),
    shippingLine: line,
    addressId: real.addresses[owner],
    declaredValue,
  });
  const body = expectStatus(response, 201);
  expect(body).toMatchObject({ status: 'requested', shippingFee: null, destinationCountry: 'PL' });
  for (const order of orders) order.status = 'parcelled';
  model.parcels.push({
    id: body.id,
    owner,
    line,
    orderIds: orders.map((o) => o.id),
    status: 'requested',
    fee: null,
  });
}

async function packParcel(real: Real, parcel: ModelParcel, grams: number) {
  const line = lines.get(parcel.line) as Line;
  const response = await real.warehouse.post(`/v1/staff/parcels/${parcel.id}/pack`, { weightGrams: grams });
  if (parcel.status !== 'requested') {
    expect(expectProblem(response, 409).currentStatus).toBe(parcel.status);
  } else if (grams > line.maxWeightGrams) {
    expect(expectProblem(response, 422).code).toBe('COMMERCE_AMOUNT_OUT_OF_RANGE');
  } else {
    parcel.status = 'packed';
    parcel.fee = expectedFee(line, grams);
    expect(expectStatus(response, 200)).toMatchObject({ status: 'packed', shippingFee: parcel.fee });
  }
}

async function payParcel(model: Model, real: Real, parcel: ModelParcel) {
  const path = `/v1/parcels/${parcel.id}/pay`;
  const key = idempotencyKey();
  const { client } = real.shoppers[parcel.owner] as Shopper;
  const response = await client.post(path, undefined, { 'idempotency-key': key });
  const balance = model.balances[parcel.owner] as number;
  if (parcel.status !== 'packed') {
    const problem = expectProblem(response, 409);
    expect(problem).toMatchObject({
      code: 'COMMERCE_PARCEL_TRANSITION_REFUSED',
      currentStatus: parcel.status,
    });
  } else if (balance < (parcel.fee as number)) {
    const problem = expectProblem(response, 402);
    expect(problem).toMatchObject({ code: 'COMMERCE_INSUFFICIENT_FUNDS', balance, required: parcel.fee });
  } else {
    expect(expectStatus(response, 200).status).toBe('paid');
    parcel.status = 'paid';
    credit(model, parcel.owner, 'shipping_payment', -(parcel.fee as number), parcel.id);
    model.payments.push({ owner: parcel.owner, path, key });
  }
  await expectBalance(real, model, parcel.owner);
}

/** Moves one open order or parcel one step along the happy path: pay, receive, parcel, pack, pay. */
class Advance implements Cmd {
  constructor(
    readonly index: number,
    readonly grams: number,
    readonly line: (typeof LINES)[number],
  ) {}
  open = (model: Model) => [
    ...model.orders.filter((o) => ['draft', 'paid', 'purchasing', 'approved'].includes(o.status)),
    ...model.parcels.filter((p) => p.status === 'requested' || p.status === 'packed'),
  ];
  check = (model: Readonly<Model>) => this.open(model as Model).length > 0;
  async run(model: Model, real: Real) {
    const target = pick(this.open(model), this.index);
    if ('total' in target) {
      if (target.status === 'draft') return payOrder(model, real, target);
      if (target.status === 'approved') return createParcel(model, real, [target], this.line, 10_000);
      return receiveAndApprove(real, target);
    }
    if (target.status === 'requested') return packParcel(real, target, this.grams);
    return payParcel(model, real, target);
  }
  toString = () => `Advance(#${this.index}, ${this.grams} g, ${this.line})`;
}

class PayOrder implements Cmd {
  constructor(
    readonly shopper: number,
    readonly index: number,
  ) {}
  check = (model: Readonly<Model>) => own(model as Model, this.shopper % model.shoppers).length > 0;
  run = (model: Model, real: Real) =>
    payOrder(model, real, pick(own(model, this.shopper % model.shoppers), this.index));
  toString = () => `PayOrder(${this.shopper}, #${this.index})`;
}

/** Sends a successful payment again with its key (a replay), or uses its key for another request. */
class RepeatPayment implements Cmd {
  constructor(
    readonly index: number,
    readonly reuseForTopUp: boolean,
  ) {}
  check = (model: Readonly<Model>) => model.payments.length > 0;
  async run(model: Model, real: Real) {
    const payment = pick(model.payments, this.index);
    const { client } = real.shoppers[payment.owner] as Shopper;
    const headers = { 'idempotency-key': payment.key };
    if (this.reuseForTopUp) {
      const problem = expectProblem(await client.post('/v1/wallet/top-ups', { amount: 500 }, headers), 422);
      expect(problem.code).toBe('PLATFORM_IDEMPOTENCY_KEY_REUSED');
    } else {
      const response = await client.post(payment.path, undefined, headers);
      expectStatus(response, 200);
      expect(response.headers['idempotent-replayed']).toBe('true');
    }
    await expectBalance(real, model, payment.owner);
  }
  toString = () => `RepeatPayment(#${this.index}, ${this.reuseForTopUp ? 'as a top-up' : 'replay'})`;
}

class ShopperCancel implements Cmd {
  constructor(
    readonly shopper: number,
    readonly index: number,
  ) {}
  check = (model: Readonly<Model>) => own(model as Model, this.shopper % model.shoppers).length > 0;
  async run(model: Model, real: Real) {
    const owner = this.shopper % model.shoppers;
    const order = pick(own(model, owner), this.index);
    const response = await (real.shoppers[owner] as Shopper).client.post(`/v1/orders/${order.id}/cancel`);
    if (order.status === 'draft') {
      order.status = 'withdrawn';
      expect(expectStatus(response, 200).status).toBe('withdrawn');
    } else if (order.status === 'paid' || order.status === 'purchasing') {
      order.status = 'refunded';
      expect(expectStatus(response, 200).status).toBe('refunded');
      credit(model, owner, 'refund', order.total, order.id);
    } else {
      expect(expectProblem(response, 409).currentStatus).toBe(order.status);
    }
    await expectBalance(real, model, owner);
  }
  toString = () => `ShopperCancel(${this.shopper}, #${this.index})`;
}

class StaffCancel implements Cmd {
  constructor(readonly index: number) {}
  check = (model: Readonly<Model>) => model.orders.length > 0;
  async run(model: Model, real: Real) {
    const order = pick(model.orders, this.index);
    const response = await real.warehouse.post(`/v1/staff/orders/${order.id}/cancel`, {
      reason: 'the seller is out of stock',
    });
    if (order.status === 'draft') {
      order.status = 'cancelled';
      expect(expectStatus(response, 200).status).toBe('cancelled');
    } else if (order.status === 'paid' || order.status === 'purchasing') {
      order.status = 'refunded';
      expect(expectStatus(response, 200).status).toBe('refunded');
      credit(model, order.owner, 'refund', order.total, order.id);
    } else {
      expect(expectProblem(response, 409).currentStatus).toBe(order.status);
    }
    await expectBalance(real, model, order.owner);
  }
  toString = () => `StaffCancel(#${this.index})`;
}

class StartPurchase implements Cmd {
  constructor(readonly index: number) {}
  check = (model: Readonly<Model>) => model.orders.some((o) => o.status === 'paid');
  async run(model: Model, real: Real) {
    const order = pick(
      model.orders.filter((o) => o.status === 'paid'),
      this.index,
    );
    const response = await real.warehouse.post(`/v1/staff/orders/${order.id}/purchasing`);
    expect(expectStatus(response, 200).status).toBe('purchasing');
    order.status = 'purchasing';
  }
  toString = () => `StartPurchase(#${this.index})`;
}

/** Puts several of a shopper's approved orders into one parcel. */
class CreateParcel implements Cmd {
  constructor(
    readonly shopper: number,
    readonly count: number,
    readonly line: (typeof LINES)[number],
    readonly declaredValue: number,
  ) {}
  check = (model: Readonly<Model>) =>
    own(model as Model, this.shopper % model.shoppers, ['approved']).length > 0;
  run(model: Model, real: Real) {
    const approved = own(model, this.shopper % model.shoppers, ['approved']);
    const orders = approved.slice(0, 1 + (this.count % approved.length));
    return createParcel(model, real, orders, this.line, this.declaredValue);
  }
  toString = () => `CreateParcel(${this.shopper}, ${this.count}, ${this.line}, ${this.declaredValue})`;
}

/** Packs or pays any parcel, whatever its state: refused ones must change nothing. */
class ParcelStep implements Cmd {
  constructor(
    readonly index: number,
    readonly action: 'pack' | 'pay',
    readonly grams: number,
  ) {}
  check = (model: Readonly<Model>) => model.parcels.length > 0;
  run(model: Model, real: Real) {
    const parcel = pick(model.parcels, this.index);
    return this.action === 'pack' ? packParcel(real, parcel, this.grams) : payParcel(model, real, parcel);
  }
  toString = () => `ParcelStep(#${this.index}, ${this.action}, ${this.grams} g)`;
}

class CancelParcel implements Cmd {
  constructor(readonly index: number) {}
  check = (model: Readonly<Model>) => model.parcels.length > 0;
  async run(model: Model, real: Real) {
    const parcel = pick(model.parcels, this.index);
    const { client } = real.shoppers[parcel.owner] as Shopper;
    const response = await client.post(`/v1/parcels/${parcel.id}/cancel`);
    if (parcel.status === 'requested' || parcel.status === 'packed') {
      expect(expectStatus(response, 200).status).toBe('cancelled');
      parcel.status = 'cancelled';
      for (const order of model.orders) if (parcel.orderIds.includes(order.id)) order.status = 'approved';
    } else {
      expect(expectProblem(response, 409).currentStatus).toBe(parcel.status);
    }
  }
  toString = () => `CancelParcel(#${this.index})`;
}

const shopperIndex = fc.nat({ max: 2 });
const index = fc.nat({ max: 50 });
const topUpAmount = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: TOP_UP_MIN, max: 300_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(TOP_UP_MIN, TOP_UP_MIN + 1, TOP_UP_MAX - 1, TOP_UP_MAX) },
  // Refused without a trace: below the minimum, above the maximum, not whole.
  { weight: 1, arbitrary: fc.constantFrom(0, -100, TOP_UP_MIN - 1, TOP_UP_MAX + 1, 150.5) },
);
const orderItems = fc.array(
  fc.record({ quantity: fc.integer({ min: 1, max: 3 }), unitPrice: fc.integer({ min: 1, max: 40_000 }) }),
  { minLength: 1, maxLength: 3 },
);

const weighted = <T>(weight: number, arbitrary: fc.Arbitrary<T>) =>
  Array.from({ length: weight }, () => arbitrary);

const grams = fc.oneof(fc.integer({ min: 1, max: 6_000 }), fc.integer({ min: 19_000, max: 32_000 }));
const line = fc.constantFrom(...LINES);

// Weighted so that runs often get as far as paid parcels, while every refusal path still comes up.
const commands = [
  ...weighted(
    3,
    fc.tuple(shopperIndex, topUpAmount).map(([s, amount]) => new TopUp(s, amount)),
  ),
  ...weighted(
    2,
    fc
      .tuple(shopperIndex, orderItems, fc.integer({ min: 0, max: 5_000 }))
      .map(([s, items, shipping]) => new CreateOrder(s, items, shipping)),
  ),
  ...weighted(
    6,
    fc.tuple(index, grams, line).map(([i, g, l]) => new Advance(i, g, l)),
  ),
  fc.tuple(shopperIndex, index).map(([s, i]) => new PayOrder(s, i)),
  fc.tuple(index, fc.boolean()).map(([i, reuse]) => new RepeatPayment(i, reuse)),
  fc.tuple(shopperIndex, index).map(([s, i]) => new ShopperCancel(s, i)),
  index.map((i) => new StaffCancel(i)),
  index.map((i) => new StartPurchase(i)),
  fc
    .tuple(shopperIndex, fc.nat({ max: 3 }), line, fc.integer({ min: 100, max: 1_000_000 }))
    .map(([s, count, l, value]) => new CreateParcel(s, count, l, value)),
  fc
    .tuple(index, fc.constantFrom('pack' as const, 'pay' as const), grams)
    .map(([i, action, g]) => new ParcelStep(i, action, g)),
  index.map((i) => new CancelParcel(i)),
];

describe('the wallet ledger under random sequences of money moves', () => {
  let test: TestApp;
  let warehouse: Client;

  beforeAll(async () => {
    test = await createTestApp();
    warehouse = await staffClient(test, 'warehouse');
    const listed = expectStatus(await warehouse.get('/v1/shipping-lines'), 200) as { items: Line[] };
    lines = new Map(listed.items.map((line) => [line.id, line]));
  });
  afterAll(() => test.close());

  async function newShopper(): Promise<{ shopper: Shopper; addressId: string }> {
    const shopper = await signUp(test);
    const address = await shopper.client.post('/v1/me/addresses', addressBody());
    return { shopper, addressId: expectStatus(address, 201).id };
  }

  /** Every page of the shopper's statement, newest first, walked with a small page size. */
  async function statement(client: Client) {
    const items: {
      id: string;
      kind: Kind;
      amount: number;
      balanceAfter: number;
      reference: string | null;
    }[] = [];
    let cursor: string | null = null;
    do {
      const page = expectStatus(
        await client.get(`/v1/wallet/transactions?limit=7${cursor ? `&cursor=${cursor}` : ''}`),
        200,
      );
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }

  async function checkThroughHttp(model: Model, real: Real) {
    for (let owner = 0; owner < model.shoppers; owner++) {
      const { client } = real.shoppers[owner] as Shopper;
      const balance = model.balances[owner] as number;
      expect((await client.get('/v1/wallet')).json().balance).toBe(balance);
      expect(balance).toBeGreaterThanOrEqual(0);

      const history = await statement(client);
      expect(new Set(history.map((t) => t.id)).size).toBe(history.length);
      const oldestFirst = [...history].reverse();
      expect(oldestFirst.map((t) => [t.kind, t.amount, t.reference])).toEqual(model.statements[owner]);
      let running = 0;
      for (const transaction of oldestFirst) {
        running += transaction.amount;
        expect(transaction.balanceAfter).toBe(running);
        expect(transaction.balanceAfter).toBeGreaterThanOrEqual(0);
      }
      expect(running).toBe(balance);

      const orders = expectStatus(await client.get('/v1/orders?limit=100'), 200).items as {
        id: string;
        status: string;
      }[];
      const expected = own(model, owner).map((o) => [o.id, o.status]);
      expect(Object.fromEntries(orders.map((o) => [o.id, o.status]))).toEqual(Object.fromEntries(expected));
      const parcels = expectStatus(await client.get('/v1/parcels?limit=100'), 200).items as {
        id: string;
        status: string;
        shippingFee: number | null;
      }[];
      expect(Object.fromEntries(parcels.map((p) => [p.id, [p.status, p.shippingFee]]))).toEqual(
        Object.fromEntries(
          model.parcels.filter((p) => p.owner === owner).map((p) => [p.id, [p.status, p.fee]]),
        ),
      );
    }
  }

  /** The double-entry invariants, over every row the app has written so far. */
  async function checkTheLedger(model: Model, real: Real) {
    const db = test.container.database.db;
    const transactions = await db
      .selectFrom('ledgerTransactions')
      .leftJoin('ledgerEntries', 'ledgerEntries.transactionId', 'ledgerTransactions.id')
      .select((eb) => [
        'ledgerTransactions.id',
        eb.fn.count<number>('ledgerEntries.id').as('legs'),
        eb.fn.coalesce(eb.fn.sum<string>('ledgerEntries.amount'), eb.lit(0)).as('sum'),
      ])
      .groupBy('ledgerTransactions.id')
      .execute();
    for (const transaction of transactions) {
      expect(Number(transaction.legs), transaction.id).toBeGreaterThanOrEqual(2);
      expect(Number(transaction.sum), transaction.id).toBe(0);
    }

    const accounts = await db
      .selectFrom('ledgerAccounts')
      .leftJoin('ledgerEntries', 'ledgerEntries.accountId', 'ledgerAccounts.id')
      .select((eb) => [
        'ledgerAccounts.id',
        'ledgerAccounts.kind',
        'ledgerAccounts.ownerId',
        'ledgerAccounts.balance',
        eb.fn.coalesce(eb.fn.sum<string>('ledgerEntries.amount'), eb.lit(0)).as('sum'),
      ])
      .groupBy([
        'ledgerAccounts.id',
        'ledgerAccounts.kind',
        'ledgerAccounts.ownerId',
        'ledgerAccounts.balance',
      ])
      .execute();
    let total = 0;
    for (const account of accounts) {
      expect(Number(account.balance), account.id).toBe(Number(account.sum));
      if (account.kind === 'wallet') expect(Number(account.balance), account.id).toBeGreaterThanOrEqual(0);
      total += Number(account.balance);
    }
    expect(total).toBe(0);
    for (let owner = 0; owner < model.shoppers; owner++) {
      const wallet = accounts.find((a) => a.ownerId === (real.shoppers[owner] as Shopper).userId);
      expect(Number(wallet?.balance ?? 0)).toBe(model.balances[owner]);
    }

    // Each account's entries, in the order they were written, carry the running balance they left behind.
    const entries = await db
      .selectFrom('ledgerEntries')
      .select(['id', 'accountId', 'amount', 'balanceAfter'])
      .orderBy('id')
      .execute();
    const running = new Map<string, number>();
    for (const entry of entries) {
      const after = (running.get(entry.accountId) ?? 0) + Number(entry.amount);
      running.set(entry.accountId, after);
      expect(Number(entry.balanceAfter), `entry ${entry.id}`).toBe(after);
    }

    // A transaction's amount is what moved in or out of its user's wallet, in exactly one wallet leg.
    const walletLegs = await db
      .selectFrom('ledgerTransactions')
      .innerJoin('ledgerEntries', 'ledgerEntries.transactionId', 'ledgerTransactions.id')
      .innerJoin('ledgerAccounts', 'ledgerAccounts.id', 'ledgerEntries.accountId')
      .select([
        'ledgerTransactions.id',
        'ledgerTransactions.kind',
        'ledgerTransactions.userId',
        'ledgerTransactions.amount as transactionAmount',
        'ledgerEntries.amount as legAmount',
        'ledgerAccounts.ownerId',
      ])
      .where('ledgerAccounts.kind', '=', 'wallet')
      .execute();
    const legsPerTransaction = new Map<string, number>();
    for (const leg of walletLegs) {
      legsPerTransaction.set(leg.id, (legsPerTransaction.get(leg.id) ?? 0) + 1);
      expect(leg.ownerId).toBe(leg.userId);
      const incoming = leg.kind === 'top_up' || leg.kind === 'refund';
      expect(Number(leg.legAmount)).toBe((incoming ? 1 : -1) * Number(leg.transactionAmount));
    }
    expect(legsPerTransaction.size).toBe(transactions.length);
    expect([...legsPerTransaction.values()].every((n) => n === 1)).toBe(true);
  }

  it('keeps every wallet equal to the model, never negative, and every ledger transaction balanced', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: TOP_UP_MIN, max: 600_000 })), {
          minLength: 2,
          maxLength: 3,
        }),
        fc.noBias(fc.commands(commands, { maxCommands: 40, size: 'max' })),
        async (openingTopUps, cmds) => {
          const n = openingTopUps.length;
          const created = await Promise.all(openingTopUps.map(() => newShopper()));
          const model: Model = {
            shoppers: n,
            balances: created.map(() => 0),
            statements: created.map(() => []),
            orders: [],
            parcels: [],
            payments: [],
          };
          const real: Real = {
            shoppers: created.map((c) => c.shopper),
            addresses: created.map((c) => c.addressId),
            warehouse,
          };
          // An opening balance (possibly none) so that runs get past the first payment more often.
          for (const [owner, amount] of openingTopUps.entries()) {
            if (amount > 0) await new TopUp(owner, amount).run(model, real);
          }
          await fc.asyncModelRun(() => ({ model, real }), cmds);
          await checkThroughHttp(model, real);
          await checkTheLedger(model, real);
        },
      ),
      { numRuns: 20 },
    );
  }, 240_000);
});
