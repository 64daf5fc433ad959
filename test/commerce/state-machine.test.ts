import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressBody, idempotencyKey, OrderFlow, PNG_1X1 } from '../helpers/commerce-flows.ts';
import { type Client, createTestApp, expectProblem, signUp, type TestApp } from '../helpers/test-app.ts';

/*
 * Every action endpoint is tried from every state. The expectations are written out by hand below, from
 * the product rules, and deliberately not computed from ORDER_TRANSITIONS / PARCEL_TRANSITIONS: a wrong
 * edge in the code's table must make this file fail.
 */

type Response = LightMyRequestResponse;

const ORDER_STATES = [
  'draft',
  'paid',
  'purchasing',
  'purchased',
  'in_warehouse',
  'qc_ready',
  'approved',
  'return_requested',
  'parcelled',
  'shipped',
  'delivered',
  'withdrawn',
  'cancelled',
  'refunded',
] as const;
type OrderState = (typeof ORDER_STATES)[number];

interface Actors {
  readonly shopper: Client;
  readonly staff: Client;
}

/** Every endpoint that moves an order, sent the way its real caller would send it. */
const ORDER_ACTIONS = {
  pay: ({ shopper }: Actors, id: string) =>
    shopper.post(`/v1/orders/${id}/pay`, undefined, { 'idempotency-key': idempotencyKey() }),
  cancel: ({ shopper }: Actors, id: string) => shopper.post(`/v1/orders/${id}/cancel`),
  approve: ({ shopper }: Actors, id: string) => shopper.post(`/v1/orders/${id}/approve`),
  return: ({ shopper }: Actors, id: string) => shopper.post(`/v1/orders/${id}/return`),
  'staff purchasing': ({ staff }: Actors, id: string) => staff.post(`/v1/staff/orders/${id}/purchasing`),
  'staff purchased': ({ staff }: Actors, id: string) => staff.post(`/v1/staff/orders/${id}/purchased`),
  'staff arrival': ({ staff }: Actors, id: string) =>
    staff.post(`/v1/staff/orders/${id}/arrival`, { weightGrams: 800 }),
  'staff qc-ready': ({ staff }: Actors, id: string) => staff.post(`/v1/staff/orders/${id}/qc-ready`),
  'staff cancel': ({ staff }: Actors, id: string) =>
    staff.post(`/v1/staff/orders/${id}/cancel`, { reason: 'the seller is out of stock' }),
  'staff return-completed': ({ staff }: Actors, id: string) =>
    staff.post(`/v1/staff/orders/${id}/return-completed`),
  'staff photos': ({ staff }: Actors, id: string) =>
    staff.request('POST', `/v1/staff/orders/${id}/photos`, PNG_1X1, { 'content-type': 'image/png' }),
} satisfies Record<string, (actors: Actors, id: string) => Promise<Response>>;
type OrderActionName = keyof typeof ORDER_ACTIONS;
const ORDER_ACTION_NAMES = Object.keys(ORDER_ACTIONS) as OrderActionName[];

interface OrderMove {
  readonly to: OrderState;
  readonly wallet: 'charged' | 'refunded' | 'unchanged';
}

/**
 * The whole of the order state machine as seen through HTTP: from each state, the actions that work and
 * where they lead. Anything not listed here must be refused. (Photos are an action that keeps the state.)
 */
const LEGAL_ORDER_MOVES: Record<OrderState, Partial<Record<OrderActionName, OrderMove>>> = {
  draft: {
    pay: { to: 'paid', wallet: 'charged' },
    cancel: { to: 'withdrawn', wallet: 'unchanged' },
    'staff cancel': { to: 'cancelled', wallet: 'unchanged' },
  },
  paid: {
    cancel: { to: 'refunded', wallet: 'refunded' },
    'staff purchasing': { to: 'purchasing', wallet: 'unchanged' },
    'staff cancel': { to: 'refunded', wallet: 'refunded' },
  },
  // Not bought yet: the shopper may still change their mind, the agent may still give up.
  purchasing: {
    cancel: { to: 'refunded', wallet: 'refunded' },
    'staff purchased': { to: 'purchased', wallet: 'unchanged' },
    'staff cancel': { to: 'refunded', wallet: 'refunded' },
  },
  purchased: { 'staff arrival': { to: 'in_warehouse', wallet: 'unchanged' } },
  in_warehouse: {
    'staff photos': { to: 'in_warehouse', wallet: 'unchanged' },
    // Only once at least one photo is up; without one it is refused (tested on its own below).
    'staff qc-ready': { to: 'qc_ready', wallet: 'unchanged' },
  },
  qc_ready: {
    approve: { to: 'approved', wallet: 'unchanged' },
    return: { to: 'return_requested', wallet: 'unchanged' },
  },
  // An approved order moves on only by being put in a parcel (POST /v1/parcels).
  approved: {},
  return_requested: { 'staff return-completed': { to: 'refunded', wallet: 'refunded' } },
  // Parcelled, shipped and delivered orders move only with their parcel.
  parcelled: {},
  shipped: {},
  delivered: {},
  withdrawn: {},
  cancelled: {},
  refunded: {},
};

const PARCEL_STATES = ['requested', 'packed', 'paid', 'shipped', 'delivered', 'cancelled'] as const;
type ParcelState = (typeof PARCEL_STATES)[number];

const PARCEL_ACTIONS = {
  pay: ({ shopper }: Actors, id: string) =>
    shopper.post(`/v1/parcels/${id}/pay`, undefined, { 'idempotency-key': idempotencyKey() }),
  cancel: ({ shopper }: Actors, id: string) => shopper.post(`/v1/parcels/${id}/cancel`),
  'staff pack': ({ staff }: Actors, id: string) =>
    staff.post(`/v1/staff/parcels/${id}/pack`, { weightGrams: 1_100 }),
  'staff ship': ({ staff }: Actors, id: string) =>
    staff.post(`/v1/staff/parcels/${id}/ship`, { trackingNumber: 'LX123456789CN' }),
  'staff delivered': ({ staff }: Actors, id: string) => staff.post(`/v1/staff/parcels/${id}/delivered`),
} satisfies Record<string, (actors: Actors, id: string) => Promise<Response>>;
type ParcelActionName = keyof typeof PARCEL_ACTIONS;
const PARCEL_ACTION_NAMES = Object.keys(PARCEL_ACTIONS) as ParcelActionName[];

interface ParcelMove {
  readonly to: ParcelState;
  /** Where the parcel's orders are afterwards. */
  readonly orders: OrderState;
  readonly wallet: 'charged' | 'unchanged';
}

const LEGAL_PARCEL_MOVES: Record<ParcelState, Partial<Record<ParcelActionName, ParcelMove>>> = {
  requested: {
    'staff pack': { to: 'packed', orders: 'parcelled', wallet: 'unchanged' },
    cancel: { to: 'cancelled', orders: 'approved', wallet: 'unchanged' },
  },
  packed: {
    pay: { to: 'paid', orders: 'parcelled', wallet: 'charged' },
    cancel: { to: 'cancelled', orders: 'approved', wallet: 'unchanged' },
  },
  paid: { 'staff ship': { to: 'shipped', orders: 'shipped', wallet: 'unchanged' } },
  shipped: { 'staff delivered': { to: 'delivered', orders: 'delivered', wallet: 'unchanged' } },
  delivered: {},
  cancelled: {},
};

/** Where a parcel's orders are while the parcel is in each state. */
const ORDERS_WHILE_PARCEL_IS: Record<ParcelState, OrderState> = {
  requested: 'parcelled',
  packed: 'parcelled',
  paid: 'parcelled',
  shipped: 'shipped',
  delivered: 'delivered',
  cancelled: 'approved',
};

/** A state as the problem detail spells it ("in_warehouse" reads "in warehouse"). */
const spelled = (state: string) => state.replaceAll('_', ' ');

interface OrderView {
  id: string;
  status: OrderState;
  total: number;
  parcelId: string | null;
  timeline: { fromStatus: string | null; toStatus: string }[];
  photos: { id: string }[];
}
interface ParcelView {
  id: string;
  status: ParcelState;
  shippingFee: number | null;
  orderIds: string[];
  timeline: { fromStatus: string | null; toStatus: string }[];
}

describe('the order and parcel state machines refuse every illegal transition', () => {
  let test: TestApp;
  let flow: OrderFlow;
  let staff: Client;

  const readOrder = async (shopper: Client, id: string): Promise<OrderView> => {
    const response = await shopper.get(`/v1/orders/${id}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  };
  const readParcel = async (shopper: Client, id: string): Promise<ParcelView> => {
    const response = await shopper.get(`/v1/parcels/${id}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  };
  const balanceOf = async (shopper: Client): Promise<number> =>
    (await shopper.get('/v1/wallet')).json().balance;
  const parcelIdsOf = async (shopper: Client): Promise<string[]> =>
    (await shopper.get('/v1/parcels?limit=100')).json().items.map((p: { id: string }) => p.id);

  const newShopper = async () => (await signUp(test)).client;

  async function addressOf(shopper: Client): Promise<string> {
    const response = await shopper.post('/v1/me/addresses', addressBody());
    if (response.statusCode !== 201) throw new Error(`address failed: ${response.body}`);
    return response.json().id;
  }

  function requestParcel(shopper: Client, orderIds: string[], addressId: string) {
    return shopper.post('/v1/parcels', {
      orderIds,
      shippingLine: 'eu-tax-free',
      addressId,
      declaredValue: 20_000,
    });
  }

  /** An approved order in a new parcel, the parcel moved to `state` through the real endpoints. */
  async function parcelIn(
    shopper: Client,
    state: ParcelState,
  ): Promise<{ parcelId: string; orderId: string }> {
    const orderId = await flow.orderIn(shopper, 'approved');
    const created = await requestParcel(shopper, [orderId], await addressOf(shopper));
    if (created.statusCode !== 201) throw new Error(`parcel failed: ${created.body}`);
    const parcelId: string = created.json().id;
    const actors = { shopper, staff };
    const path: Record<ParcelState, ParcelActionName[]> = {
      requested: [],
      packed: ['staff pack'],
      paid: ['staff pack', 'pay'],
      shipped: ['staff pack', 'pay', 'staff ship'],
      delivered: ['staff pack', 'pay', 'staff ship', 'staff delivered'],
      cancelled: ['cancel'],
    };
    for (const action of path[state]) {
      const response = await PARCEL_ACTIONS[action](actors, parcelId);
      if (response.statusCode !== 200) throw new Error(`parcel ${action} failed: ${response.body}`);
    }
    return { parcelId, orderId };
  }

  /** An order in any of the fourteen states; the three shipping ones go through a parcel. */
  async function orderIn(shopper: Client, state: OrderState): Promise<string> {
    if (state === 'parcelled') return (await parcelIn(shopper, 'requested')).orderId;
    if (state === 'shipped' || state === 'delivered') return (await parcelIn(shopper, state)).orderId;
    return flow.orderIn(shopper, state);
  }

  async function uploadPhoto(id: string) {
    const response = await ORDER_ACTIONS['staff photos']({ shopper: staff, staff }, id);
    if (response.statusCode !== 201) throw new Error(`photo failed: ${response.body}`);
  }

  beforeAll(async () => {
    test = await createTestApp();
    flow = new OrderFlow(test);
    staff = await flow.warehouse;
  });
  afterAll(() => test.close());

  describe('orders: every action that is not a legal move from the current state', () => {
    interface Fixture {
      readonly shopper: Client;
      readonly id: string;
      readonly addressId: string;
      readonly before: OrderView;
      readonly balance: number;
      readonly parcels: string[];
    }
    const fixtures = new Map<OrderState, Fixture>();
    const fixture = (state: OrderState) => fixtures.get(state) as Fixture;

    beforeAll(async () => {
      await Promise.all(
        ORDER_STATES.map(async (state) => {
          const shopper = await newShopper();
          const id = await orderIn(shopper, state);
          const addressId = await addressOf(shopper);
          fixtures.set(state, {
            shopper,
            id,
            addressId,
            before: await readOrder(shopper, id),
            balance: await balanceOf(shopper),
            parcels: await parcelIdsOf(shopper),
          });
        }),
      );
    });

    /** The order, the wallet and the parcel list are exactly as they were before the refused attempt. */
    async function expectNothingChanged(state: OrderState) {
      const { shopper, id, before, balance, parcels } = fixture(state);
      const after = await readOrder(shopper, id);
      expect(after.status).toBe(state);
      expect(after.timeline).toHaveLength(before.timeline.length);
      expect(after).toEqual(before);
      expect(await balanceOf(shopper)).toBe(balance);
      expect(await parcelIdsOf(shopper)).toEqual(parcels);
    }

    it('has one order in each of the fourteen states to try them on', () => {
      for (const state of ORDER_STATES) expect(fixture(state).before.status).toBe(state);
      expect(fixture('qc_ready').before.photos).toHaveLength(1);
      expect(fixture('in_warehouse').before.photos).toHaveLength(0);
    });

    for (const state of ORDER_STATES) {
      for (const action of ORDER_ACTION_NAMES) {
        if (LEGAL_ORDER_MOVES[state][action]) continue;
        it(`${state}: "${action}" is refused with 409 naming the state, and nothing changes`, async () => {
          const { shopper, id } = fixture(state);
          const response = await ORDER_ACTIONS[action]({ shopper, staff }, id);
          const problem = expectProblem(response, 409);
          expect(problem.code).toBe('COMMERCE_ORDER_TRANSITION_REFUSED');
          expect(problem.currentStatus).toBe(state);
          expect(problem.detail).toContain(spelled(state));
          await expectNothingChanged(state);
        });
      }
    }

    it('in_warehouse: "staff qc-ready" without any photo is refused with 409 COMMERCE_QC_PHOTOS_REQUIRED', async () => {
      const { shopper, id } = fixture('in_warehouse');
      const response = await ORDER_ACTIONS['staff qc-ready']({ shopper, staff }, id);
      expect(expectProblem(response, 409).code).toBe('COMMERCE_QC_PHOTOS_REQUIRED');
      await expectNothingChanged('in_warehouse');
    });

    for (const state of ORDER_STATES) {
      if (state === 'approved') continue;
      it(`${state}: the order cannot be put in a parcel, and no parcel is made`, async () => {
        const { shopper, id, addressId } = fixture(state);
        const problem = expectProblem(await requestParcel(shopper, [id], addressId), 409);
        expect(problem.code).toBe('COMMERCE_ORDER_TRANSITION_REFUSED');
        expect(problem.currentStatus).toBe(state);
        expect(problem.detail).toContain(spelled(state));
        await expectNothingChanged(state);
      });
    }
  });

  describe('orders: every legal move succeeds (a fresh order for each)', () => {
    const cases = ORDER_STATES.flatMap((from) =>
      Object.entries(LEGAL_ORDER_MOVES[from]).map(([action, move]) => ({
        from,
        action: action as OrderActionName,
        move: move as OrderMove,
      })),
    );
    interface Fixture {
      readonly shopper: Client;
      readonly before: OrderView;
      readonly balance: number;
    }
    const fixtures = new Map<string, Fixture>();
    const key = (from: string, action: string) => `${from} ${action}`;

    beforeAll(async () => {
      await Promise.all(
        cases.map(async ({ from, action }) => {
          const shopper = await newShopper();
          const id = await orderIn(shopper, from);
          if (action === 'staff qc-ready') await uploadPhoto(id);
          fixtures.set(key(from, action), {
            shopper,
            before: await readOrder(shopper, id),
            balance: await balanceOf(shopper),
          });
        }),
      );
    });

    it('covers the fifteen legal moves', () => {
      expect(cases).toHaveLength(15);
    });

    for (const { from, action, move } of cases) {
      it(`${from}: "${action}" → ${move.to}${move.wallet === 'unchanged' ? '' : ` (wallet ${move.wallet})`}`, async () => {
        const { shopper, before, balance } = fixtures.get(key(from, action)) as Fixture;
        expect(before.status).toBe(from);
        const response = await ORDER_ACTIONS[action]({ shopper, staff }, before.id);
        expect(response.statusCode, response.body).toBe(action === 'staff photos' ? 201 : 200);

        const after = await readOrder(shopper, before.id);
        expect(after.status).toBe(move.to);
        if (action === 'staff photos') {
          expect(after.photos).toHaveLength(before.photos.length + 1);
          expect(after.timeline).toEqual(before.timeline);
        } else {
          expect(response.json().status).toBe(move.to);
          expect(after.timeline).toHaveLength(before.timeline.length + 1);
          expect(after.timeline.at(-1)).toMatchObject({ fromStatus: from, toStatus: move.to });
        }
        const delta = { charged: -before.total, refunded: before.total, unchanged: 0 }[move.wallet];
        expect(await balanceOf(shopper)).toBe(balance + delta);
      });
    }
  });

  describe('orders: payment happens once', () => {
    async function draftWithMoney() {
      const shopper = await newShopper();
      const id = await orderIn(shopper, 'draft');
      return { shopper, id, balance: await balanceOf(shopper), total: (await readOrder(shopper, id)).total };
    }
    const payments = async (shopper: Client) =>
      (await shopper.get('/v1/wallet/transactions?limit=100'))
        .json()
        .items.filter((t: { kind: string }) => t.kind === 'order_payment');

    it('paying twice with two different idempotency keys charges once; the second answers 409', async () => {
      const { shopper, id, balance, total } = await draftWithMoney();
      const first = await ORDER_ACTIONS.pay({ shopper, staff }, id);
      expect(first.statusCode, first.body).toBe(200);
      const second = await ORDER_ACTIONS.pay({ shopper, staff }, id);
      const problem = expectProblem(second, 409);
      expect(problem.code).toBe('COMMERCE_ORDER_TRANSITION_REFUSED');
      expect(problem.currentStatus).toBe('paid');
      expect(await balanceOf(shopper)).toBe(balance - total);
      expect(await payments(shopper)).toHaveLength(1);
      const order = await readOrder(shopper, id);
      expect(order.timeline.map((entry) => entry.toStatus)).toEqual(['draft', 'paid']);
    });

    it('two concurrent payments with different keys: exactly one succeeds, the wallet is charged once', async () => {
      const { shopper, id, balance, total } = await draftWithMoney();
      const answers = await Promise.all([
        ORDER_ACTIONS.pay({ shopper, staff }, id),
        ORDER_ACTIONS.pay({ shopper, staff }, id),
      ]);
      expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 409]);
      expect(await balanceOf(shopper)).toBe(balance - total);
      expect(await payments(shopper)).toHaveLength(1);
    });

    it('a shopper cancel and a staff cancel racing on a paid order refund it exactly once', async () => {
      const shopper = await newShopper();
      const id = await orderIn(shopper, 'paid');
      const { total } = await readOrder(shopper, id);
      const balance = await balanceOf(shopper);
      const answers = await Promise.all([
        ORDER_ACTIONS.cancel({ shopper, staff }, id),
        ORDER_ACTIONS['staff cancel']({ shopper, staff }, id),
        ORDER_ACTIONS.cancel({ shopper, staff }, id),
      ]);
      for (const answer of answers) expect([200, 409], answer.body).toContain(answer.statusCode);
      expect(answers.some((answer) => answer.statusCode === 200)).toBe(true);
      expect(await balanceOf(shopper)).toBe(balance + total);
      const order = await readOrder(shopper, id);
      expect(order.timeline.map((entry) => entry.toStatus)).toEqual(['draft', 'paid', 'refunded']);
      const refunds = (await shopper.get('/v1/wallet/transactions?limit=100'))
        .json()
        .items.filter((t: { kind: string }) => t.kind === 'refund');
      expect(refunds).toHaveLength(1);
    });
  });

  describe('parcels: every action that is not a legal move from the current state', () => {
    interface Fixture {
      readonly shopper: Client;
      readonly parcel: ParcelView;
      readonly order: OrderView;
      readonly balance: number;
    }
    const fixtures = new Map<ParcelState, Fixture>();
    const fixture = (state: ParcelState) => fixtures.get(state) as Fixture;

    beforeAll(async () => {
      await Promise.all(
        PARCEL_STATES.map(async (state) => {
          const shopper = await newShopper();
          const { parcelId, orderId } = await parcelIn(shopper, state);
          fixtures.set(state, {
            shopper,
            parcel: await readParcel(shopper, parcelId),
            order: await readOrder(shopper, orderId),
            balance: await balanceOf(shopper),
          });
        }),
      );
    });

    it('has one parcel in each of the six states, its order where the parcel puts it', () => {
      for (const state of PARCEL_STATES) {
        const { parcel, order } = fixture(state);
        expect(parcel.status).toBe(state);
        expect(order.status).toBe(ORDERS_WHILE_PARCEL_IS[state]);
        expect(order.parcelId).toBe(state === 'cancelled' ? null : parcel.id);
      }
    });

    for (const state of PARCEL_STATES) {
      for (const action of PARCEL_ACTION_NAMES) {
        if (LEGAL_PARCEL_MOVES[state][action]) continue;
        it(`${state}: "${action}" is refused with 409 naming the state, and nothing changes`, async () => {
          const { shopper, parcel, order, balance } = fixture(state);
          const response = await PARCEL_ACTIONS[action]({ shopper, staff }, parcel.id);
          const problem = expectProblem(response, 409);
          expect(problem.code).toBe('COMMERCE_PARCEL_TRANSITION_REFUSED');
          expect(problem.currentStatus).toBe(state);
          expect(problem.detail).toContain(state);

          const after = await readParcel(shopper, parcel.id);
          expect(after.status).toBe(state);
          expect(after.timeline).toHaveLength(parcel.timeline.length);
          expect(after).toEqual(parcel);
          expect(await readOrder(shopper, order.id)).toEqual(order);
          expect(await balanceOf(shopper)).toBe(balance);
        });
      }
    }
  });

  describe('parcels: every legal move succeeds (a fresh parcel for each)', () => {
    const cases = PARCEL_STATES.flatMap((from) =>
      Object.entries(LEGAL_PARCEL_MOVES[from]).map(([action, move]) => ({
        from,
        action: action as ParcelActionName,
        move: move as ParcelMove,
      })),
    );
    interface Fixture {
      readonly shopper: Client;
      readonly parcel: ParcelView;
      readonly orderId: string;
      readonly balance: number;
    }
    const fixtures = new Map<string, Fixture>();
    const key = (from: string, action: string) => `${from} ${action}`;

    beforeAll(async () => {
      await Promise.all(
        cases.map(async ({ from, action }) => {
          const shopper = await newShopper();
          const { parcelId, orderId } = await parcelIn(shopper, from);
          fixtures.set(key(from, action), {
            shopper,
            parcel: await readParcel(shopper, parcelId),
            orderId,
            balance: await balanceOf(shopper),
          });
        }),
      );
    });

    it('covers the six legal moves', () => {
      expect(cases).toHaveLength(6);
    });

    for (const { from, action, move } of cases) {
      it(`${from}: "${action}" → ${move.to}, its orders ${move.orders}`, async () => {
        const { shopper, parcel, orderId, balance } = fixtures.get(key(from, action)) as Fixture;
        expect(parcel.status).toBe(from);
        const response = await PARCEL_ACTIONS[action]({ shopper, staff }, parcel.id);
        expect(response.statusCode, response.body).toBe(200);
        expect(response.json().status).toBe(move.to);

        const after = await readParcel(shopper, parcel.id);
        expect(after.status).toBe(move.to);
        expect(after.timeline).toHaveLength(parcel.timeline.length + 1);
        expect(after.timeline.at(-1)).toMatchObject({ fromStatus: from, toStatus: move.to });
        const order = await readOrder(shopper, orderId);
        expect(order.status).toBe(move.orders);
        expect(order.parcelId).toBe(move.to === 'cancelled' ? null : parcel.id);
        const fee = move.wallet === 'charged' ? (parcel.shippingFee as number) : 0;
        if (move.wallet === 'charged') expect(fee).toBeGreaterThan(0);
        expect(await balanceOf(shopper)).toBe(balance - fee);
      });
    }

    it('a cancelled parcel frees its orders: they can go into a new parcel', async () => {
      const shopper = await newShopper();
      const { orderId } = await parcelIn(shopper, 'cancelled');
      const again = await requestParcel(shopper, [orderId], await addressOf(shopper));
      expect(again.statusCode, again.body).toBe(201);
      expect((await readOrder(shopper, orderId)).status).toBe('parcelled');
    });

    it('paying a parcel twice with two different idempotency keys charges once; the second answers 409', async () => {
      const shopper = await newShopper();
      const { parcelId } = await parcelIn(shopper, 'packed');
      const fee = (await readParcel(shopper, parcelId)).shippingFee as number;
      const balance = await balanceOf(shopper);
      const answers = await Promise.all([
        PARCEL_ACTIONS.pay({ shopper, staff }, parcelId),
        PARCEL_ACTIONS.pay({ shopper, staff }, parcelId),
      ]);
      expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 409]);
      const refused = answers.find((r) => r.statusCode === 409) as Response;
      expect(expectProblem(refused, 409)).toMatchObject({
        code: 'COMMERCE_PARCEL_TRANSITION_REFUSED',
        currentStatus: 'paid',
      });
      expect(await balanceOf(shopper)).toBe(balance - fee);
    });

    it('a parcel with one approved and one unapproved order is refused as a whole: nothing moves', async () => {
      const shopper = await newShopper();
      const approved = await orderIn(shopper, 'approved');
      const draft = await flow.create(shopper);
      const response = await requestParcel(shopper, [approved, draft], await addressOf(shopper));
      expect(expectProblem(response, 409).currentStatus).toBe('draft');
      expect((await readOrder(shopper, approved)).status).toBe('approved');
      expect((await readOrder(shopper, approved)).parcelId).toBeNull();
      expect(await parcelIdsOf(shopper)).toEqual([]);
    });
  });
});
