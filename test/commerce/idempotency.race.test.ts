import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotencyKey, OrderFlow, orderBody, TAOBAO } from '../helpers/commerce-flows.ts';
import { type Client, createTestApp, expectProblem, signUp, type TestApp } from '../helpers/test-app.ts';

// Money moves are retried by clients after timeouts and double clicks, and arrive concurrently. Whatever
// the interleaving, one Idempotency-Key is one charge, no order or parcel is paid twice, and no wallet
// goes below zero. Everything is driven through HTTP; the ledger rows are counted in the database.

describe('a repeated idempotency key never charges twice', () => {
  let test: TestApp;
  let flow: OrderFlow;

  beforeAll(async () => {
    test = await createTestApp();
    flow = new OrderFlow(test);
  });
  afterAll(() => test.close());

  const db = () => test.container.database.db;
  const key = (value: string) => ({ 'idempotency-key': value });
  const topUp = (client: Client, amount: number, k: string) =>
    client.post('/v1/wallet/top-ups', { amount }, key(k));
  const pay = (client: Client, orderId: string, k: string) =>
    client.post(`/v1/orders/${orderId}/pay`, undefined, key(k));
  const balanceOf = async (client: Client) => (await client.get('/v1/wallet')).json().balance as number;
  const orderOf = async (client: Client, id: string) => (await client.get(`/v1/orders/${id}`)).json();
  const ledgerRows = (userId: string) =>
    db().selectFrom('ledgerTransactions').selectAll().where('userId', '=', userId).execute();
  const countAllTransactions = async () =>
    Number(
      (
        await db()
          .selectFrom('ledgerTransactions')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const replayed = (responses: LightMyRequestResponse[]) =>
    responses.filter((r) => r.headers['idempotent-replayed'] === 'true').length;

  /** An order whose total is exactly `itemsPrice` + 5% fee, with no domestic shipping. */
  const orderFor = (client: Client, itemsPrice: number) =>
    flow.create(
      client,
      orderBody({
        items: [{ link: TAOBAO, title: 'Sneakers', quantity: 1, unitPrice: itemsPrice }],
        domesticShipping: 0,
      }),
    );
  const totalFor = (itemsPrice: number) => itemsPrice + Math.ceil(itemsPrice / 20);

  /** The whole statement, oldest first, read with a given page size. */
  async function statement(client: Client, limit: number) {
    const items: { id: string; amount: number; balanceAfter: number; kind: string }[] = [];
    let cursor: string | null = null;
    do {
      const page = await client.get(
        `/v1/wallet/transactions?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.statusCode).toBe(200);
      items.push(...page.json().items);
      cursor = page.json().nextCursor;
    } while (cursor);
    return items.reverse();
  }

  /** The statement is the wallet's story: each balanceAfter is the running sum, ending at the balance. */
  async function expectConsistentStatement(client: Client) {
    const history = await statement(client, 100);
    let running = 0;
    for (const transaction of history) {
      running += transaction.amount;
      expect(transaction.balanceAfter).toBe(running);
      expect(transaction.balanceAfter).toBeGreaterThanOrEqual(0);
    }
    expect(running).toBe(await balanceOf(client));
    return history;
  }

  describe('top-ups', () => {
    it('a top-up retried with the same key is charged once and answers exactly as the first time', async () => {
      const { client, userId } = await signUp(test);
      const k = idempotencyKey();
      const first = await topUp(client, 12_345, k);
      expect(first.statusCode).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();

      const second = await topUp(client, 12_345, k);
      expect(second.statusCode).toBe(201);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.json()).toEqual(first.json());

      expect(await balanceOf(client)).toBe(12_345);
      const rows = await ledgerRows(userId);
      expect(rows.map((r) => [r.kind, Number(r.amount), r.idempotencyKey])).toEqual([['top_up', 12_345, k]]);
    });

    it('ten concurrent top-ups with one key make exactly one charge', async () => {
      const { client, userId } = await signUp(test);
      const k = idempotencyKey();
      const responses = await Promise.all(Array.from({ length: 10 }, () => topUp(client, 50_000, k)));
      for (const response of responses) expect(response.statusCode, response.body).toBe(201);
      expect(new Set(responses.map((r) => r.json().id)).size).toBe(1);
      expect(replayed(responses)).toBe(9);
      expect(await balanceOf(client)).toBe(50_000);
      expect(await ledgerRows(userId)).toHaveLength(1);
      await expectConsistentStatement(client);
    });

    it('one key sent concurrently with different amounts charges one of them and refuses the rest', async () => {
      const { client, userId } = await signUp(test);
      const k = idempotencyKey();
      const amounts = [1_000, 2_000, 3_000, 4_000, 5_000];
      const responses = await Promise.all(amounts.map((amount) => topUp(client, amount, k)));
      const accepted = responses.filter((r) => r.statusCode === 201);
      expect(accepted).toHaveLength(1);
      for (const response of responses.filter((r) => r.statusCode !== 201)) {
        expect(expectProblem(response, 422).code).toBe('PLATFORM_IDEMPOTENCY_KEY_REUSED');
      }
      expect(await balanceOf(client)).toBe(accepted[0]?.json().amount);
      expect(await ledgerRows(userId)).toHaveLength(1);
    });
  });

  describe('order and parcel payments', () => {
    it('an order payment retried with the same key, one after the other, is charged once', async () => {
      const { client, userId } = await signUp(test);
      await flow.topUp(client, 100_000);
      const id = await orderFor(client, 20_000);
      const k = idempotencyKey();

      const first = await pay(client, id, k);
      expect(first.statusCode, first.body).toBe(200);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const second = await pay(client, id, k);
      expect(second.statusCode).toBe(200);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.json()).toEqual(first.json());

      expect(await balanceOf(client)).toBe(100_000 - totalFor(20_000));
      const payments = (await ledgerRows(userId)).filter((r) => r.kind === 'order_payment');
      expect(payments.map((r) => [r.reference, Number(r.amount)])).toEqual([[id, totalFor(20_000)]]);
    });

    it('an order payment sent ten times at once with one key is charged once', async () => {
      const { client, userId } = await signUp(test);
      await flow.topUp(client, 100_000);
      const id = await orderFor(client, 30_000);
      const k = idempotencyKey();
      const responses = await Promise.all(Array.from({ length: 10 }, () => pay(client, id, k)));
      for (const response of responses) {
        expect(response.statusCode, response.body).toBe(200);
        expect(response.json().status).toBe('paid');
      }
      expect(replayed(responses)).toBe(9);
      expect(await balanceOf(client)).toBe(100_000 - totalFor(30_000));
      expect((await ledgerRows(userId)).filter((r) => r.kind === 'order_payment')).toHaveLength(1);
      await expectConsistentStatement(client);
    });

    it('concurrent payments of one order with different keys: one succeeds, the rest are told it is paid', async () => {
      const { client, userId } = await signUp(test);
      await flow.topUp(client, 500_000);
      const id = await orderFor(client, 40_000);
      const responses = await Promise.all(Array.from({ length: 8 }, () => pay(client, id, idempotencyKey())));
      expect(responses.filter((r) => r.statusCode === 200)).toHaveLength(1);
      for (const response of responses.filter((r) => r.statusCode !== 200)) {
        expect(expectProblem(response, 409)).toMatchObject({
          code: 'COMMERCE_ORDER_TRANSITION_REFUSED',
          currentStatus: 'paid',
        });
      }
      expect(await balanceOf(client)).toBe(500_000 - totalFor(40_000));
      expect((await ledgerRows(userId)).filter((r) => r.kind === 'order_payment')).toHaveLength(1);
    });

    it('a parcel payment sent at once with one key, and with several keys, charges the fee once', async () => {
      const { client, userId } = await signUp(test);
      const warehouse = await flow.warehouse;
      const orderId = await flow.orderIn(client, 'approved');
      const address = await client.post('/v1/me/addresses', {
        recipientName: 'Jan Nowak',
        phone: '+48601234567',
        line1: 'ul. Długa 5',
        city: 'Gdańsk',
        postalCode: '80-827',
        country: 'PL',
      });
      const parcel = await client.post('/v1/parcels', {
        orderIds: [orderId],
        shippingLine: 'ems',
        addressId: address.json().id,
        declaredValue: 10_000,
      });
      const parcelId = parcel.json().id;
      const packed = await warehouse.post(`/v1/staff/parcels/${parcelId}/pack`, { weightGrams: 700 });
      const fee = packed.json().shippingFee as number;
      const before = await balanceOf(client);

      const k = idempotencyKey();
      const sameKey = Array.from({ length: 6 }, () =>
        client.post(`/v1/parcels/${parcelId}/pay`, undefined, key(k)),
      );
      const otherKeys = Array.from({ length: 4 }, () =>
        client.post(`/v1/parcels/${parcelId}/pay`, undefined, key(idempotencyKey())),
      );
      const responses = await Promise.all([...sameKey, ...otherKeys]);
      const firstTime = responses.filter((r) => r.statusCode === 200 && !r.headers['idempotent-replayed']);
      expect(firstTime).toHaveLength(1);
      for (const response of responses) expect([200, 409]).toContain(response.statusCode);
      expect(await balanceOf(client)).toBe(before - fee);
      expect((await ledgerRows(userId)).filter((r) => r.kind === 'shipping_payment')).toHaveLength(1);
    });

    it('concurrent cancels of a paid order refund it exactly once', async () => {
      const { client, userId } = await signUp(test);
      const warehouse = await flow.warehouse;
      const id = await flow.orderIn(client, 'paid');
      const before = await balanceOf(client);
      const { total } = await orderOf(client, id);
      const responses = await Promise.all([
        ...Array.from({ length: 5 }, () => client.post(`/v1/orders/${id}/cancel`)),
        ...Array.from({ length: 3 }, () =>
          warehouse.post(`/v1/staff/orders/${id}/cancel`, { reason: 'the seller is out of stock' }),
        ),
      ]);
      for (const response of responses) expect([200, 409]).toContain(response.statusCode);
      expect(responses.some((r) => r.statusCode === 200)).toBe(true);
      expect(await balanceOf(client)).toBe(before + total);
      expect((await ledgerRows(userId)).filter((r) => r.kind === 'refund')).toHaveLength(1);
      expect((await orderOf(client, id)).status).toBe('refunded');
    });
  });

  describe('keys that do not fit the request', () => {
    it('a key reused for a different request is refused and nothing is written', async () => {
      const { client, userId } = await signUp(test);
      const k = idempotencyKey();
      expect((await topUp(client, 1_000, k)).statusCode).toBe(201);
      const rowsBefore = await countAllTransactions();

      const otherAmount = expectProblem(await topUp(client, 2_000, k), 422);
      expect(otherAmount.code).toBe('PLATFORM_IDEMPOTENCY_KEY_REUSED');

      await flow.topUp(client, 100_000);
      const draft = await orderFor(client, 5_000);
      const asPayment = expectProblem(await pay(client, draft, k), 422);
      expect(asPayment.code).toBe('PLATFORM_IDEMPOTENCY_KEY_REUSED');
      expect((await orderOf(client, draft)).status).toBe('draft');

      const p = idempotencyKey();
      const paidOrder = await orderFor(client, 6_000);
      expect((await pay(client, paidOrder, p)).statusCode).toBe(200);
      const otherOrder = expectProblem(await pay(client, draft, p), 422);
      expect(otherOrder.code).toBe('PLATFORM_IDEMPOTENCY_KEY_REUSED');
      expect((await orderOf(client, draft)).status).toBe('draft');

      // Only the deliberate top-up and payment above were written.
      expect(await countAllTransactions()).toBe(rowsBefore + 2);
      expect(await balanceOf(client)).toBe(1_000 + 100_000 - totalFor(6_000));
      expect((await ledgerRows(userId)).map((r) => r.idempotencyKey)).toContain(k);
    });

    it('keys belong to one shopper: the same key from another shopper is a charge of its own', async () => {
      const alice = await signUp(test);
      const bob = await signUp(test);
      const k = idempotencyKey();
      const [a, b] = await Promise.all([topUp(alice.client, 7_000, k), topUp(bob.client, 9_000, k)]);
      expect(a?.statusCode).toBe(201);
      expect(b?.statusCode).toBe(201);
      expect(b?.headers['idempotent-replayed']).toBeUndefined();
      expect(await balanceOf(alice.client)).toBe(7_000);
      expect(await balanceOf(bob.client)).toBe(9_000);
    });

    it('a money move without a usable Idempotency-Key is refused, naming the header, and writes nothing', async () => {
      const { client } = await signUp(test);
      await flow.topUp(client, 100_000);
      const id = await orderFor(client, 5_000);
      const fakeParcel = `pcl_${'0'.repeat(26)}`;
      const before = await countAllTransactions();
      const moves = [
        (headers: Record<string, string>) => client.post('/v1/wallet/top-ups', { amount: 1_000 }, headers),
        (headers: Record<string, string>) => client.post(`/v1/orders/${id}/pay`, undefined, headers),
        (headers: Record<string, string>) => client.post(`/v1/parcels/${fakeParcel}/pay`, undefined, headers),
      ];
      const badKeys: Record<string, string>[] = [
        {},
        key(''),
        key('short'),
        key('has spaces in it'),
        key('x'.repeat(101)),
        key('ключ-ключ-ключ'),
        key('../../etc/passwd'),
      ];
      for (const move of moves) {
        for (const headers of badKeys) {
          const problem = expectProblem(await move(headers), 400);
          expect(problem.code).toBe('PLATFORM_VALIDATION_FAILED');
          expect(problem.errors?.map((e) => e.field)).toEqual(['header.idempotency-key']);
        }
      }
      expect(await countAllTransactions()).toBe(before);
      expect((await orderOf(client, id)).status).toBe('draft');
      expect(await balanceOf(client)).toBe(100_000);
    });

    it('a key the shopper chose can never be mistaken for the key of a refund', async () => {
      const { client } = await signUp(test);
      const warehouse = await flow.warehouse;
      for (const canceller of ['shopper', 'staff'] as const) {
        const id = await flow.orderIn(client, 'paid');
        const { total } = await orderOf(client, id);
        // Keys shaped like ones the system could derive for its own refunds: each is either an ordinary
        // top-up or refused as a key, and neither may stand in the refund's way.
        const shapes = [`refund:${id}`, `refund/${id}`, `refund_${id}`, `refund-${id}`, `refund.${id}`, id];
        for (const shaped of shapes) {
          const response = await topUp(client, 100, shaped);
          if (response.statusCode !== 201) {
            expect(expectProblem(response, 400).errors?.map((e) => e.field)).toEqual([
              'header.idempotency-key',
            ]);
          }
        }
        const before = await balanceOf(client);
        const cancelled =
          canceller === 'shopper'
            ? await client.post(`/v1/orders/${id}/cancel`)
            : await warehouse.post(`/v1/staff/orders/${id}/cancel`, { reason: 'the seller is out of stock' });
        expect(cancelled.statusCode, cancelled.body).toBe(200);
        expect(cancelled.json().status).toBe('refunded');
        expect(await balanceOf(client)).toBe(before + total);
      }
      await expectConsistentStatement(client);
    });
  });

  describe('concurrent money moves', () => {
    it('payments that together exceed the balance never overdraw the wallet', async () => {
      const { client } = await signUp(test);
      await flow.topUp(client, 100_000);
      const ids = await Promise.all(Array.from({ length: 6 }, () => orderFor(client, 27_000)));
      const responses = await Promise.all(ids.map((id) => pay(client, id, idempotencyKey())));
      // 100,000 fen pays for three orders of 28,350 and not a fourth.
      expect(responses.filter((r) => r.statusCode === 200)).toHaveLength(3);
      for (const response of responses.filter((r) => r.statusCode !== 200)) {
        expect(expectProblem(response, 402).code).toBe('COMMERCE_INSUFFICIENT_FUNDS');
      }
      expect(await balanceOf(client)).toBe(100_000 - 3 * totalFor(27_000));
      for (const [i, id] of ids.entries()) {
        expect((await orderOf(client, id)).status).toBe(responses[i]?.statusCode === 200 ? 'paid' : 'draft');
      }
      await expectConsistentStatement(client);
    });

    it('for any balance and any orders, concurrent payments pay a set the wallet can afford', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 100, max: 200_000 }),
          fc.array(fc.integer({ min: 1, max: 80_000 }), { minLength: 2, maxLength: 7 }),
          async (funds, prices) => {
            const { client, userId } = await signUp(test);
            await flow.topUp(client, funds);
            const ids = await Promise.all(prices.map((price) => orderFor(client, price)));
            const responses = await Promise.all(ids.map((id) => pay(client, id, idempotencyKey())));
            const balance = await balanceOf(client);
            const paid = prices.filter((_, i) => responses[i]?.statusCode === 200).map(totalFor);
            expect(balance).toBeGreaterThanOrEqual(0);
            expect(balance).toBe(funds - paid.reduce((sum, total) => sum + total, 0));
            for (const [i, response] of responses.entries()) {
              if (response.statusCode === 200) continue;
              expect(expectProblem(response, 402).code).toBe('COMMERCE_INSUFFICIENT_FUNDS');
              // Refused only because what was left could not pay for it, not by accident of timing.
              expect(totalFor(prices[i] as number)).toBeGreaterThan(balance);
            }
            const wallet = await db()
              .selectFrom('ledgerAccounts')
              .select('balance')
              .where('ownerId', '=', userId)
              .executeTakeFirstOrThrow();
            expect(Number(wallet.balance)).toBe(balance);
            await expectConsistentStatement(client);
          },
        ),
        { numRuns: 8 },
      );
    });

    it('concurrent top-ups and payments leave a statement that is a running sum and pages without gaps', async () => {
      for (let round = 0; round < 3; round++) {
        const { client } = await signUp(test);
        await flow.topUp(client, 50_000);
        const ids = await Promise.all(Array.from({ length: 5 }, () => orderFor(client, 9_000)));
        const responses = await Promise.all([
          ...Array.from({ length: 10 }, (_, i) => topUp(client, 100 * (i + 1), idempotencyKey())),
          ...ids.map((id) => pay(client, id, idempotencyKey())),
        ]);
        for (const response of responses) expect(response.statusCode, response.body).toBeLessThan(300);

        const history = await expectConsistentStatement(client);
        expect(history).toHaveLength(16);
        for (const limit of [1, 3, 7]) {
          expect((await statement(client, limit)).map((t) => t.id)).toEqual(history.map((t) => t.id));
        }
      }
    });
  });

  describe('lists written to at the same moment', () => {
    async function walk(client: Client, path: string, limit: number): Promise<string[]> {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await client.get(`${path}?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.statusCode).toBe(200);
        ids.push(...page.json().items.map((item: { id: string }) => item.id));
        cursor = page.json().nextCursor;
      } while (cursor);
      return ids;
    }

    it('orders created at once are each listed exactly once, whatever the page size', async () => {
      const { client } = await signUp(test);
      const created = await Promise.all(Array.from({ length: 12 }, () => flow.create(client)));
      const all = await walk(client, '/v1/orders', 100);
      expect([...all].sort()).toEqual([...created].sort());
      for (const limit of [1, 2, 5]) expect(await walk(client, '/v1/orders', limit)).toEqual(all);
    });

    it('parcels requested at once are each listed exactly once, whatever the page size', async () => {
      const { client } = await signUp(test);
      const address = await client.post('/v1/me/addresses', {
        recipientName: 'Jan Nowak',
        phone: '+48601234567',
        line1: 'ul. Długa 5',
        city: 'Gdańsk',
        postalCode: '80-827',
        country: 'PL',
      });
      const orders: string[] = [];
      for (let i = 0; i < 6; i++) orders.push(await flow.orderIn(client, 'approved'));
      const responses = await Promise.all(
        orders.map((orderId) =>
          client.post('/v1/parcels', {
            orderIds: [orderId],
            shippingLine: 'china-post-sal',
            addressId: address.json().id,
            declaredValue: 5_000,
          }),
        ),
      );
      for (const response of responses) expect(response.statusCode, response.body).toBe(201);
      const all = await walk(client, '/v1/parcels', 100);
      expect(all).toHaveLength(6);
      for (const limit of [1, 4]) expect(await walk(client, '/v1/parcels', limit)).toEqual(all);
    });
  });
});
