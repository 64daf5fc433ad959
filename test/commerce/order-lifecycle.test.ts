import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressBody, idempotencyKey, OrderFlow, PNG_1X1 } from '../helpers/commerce-flows.ts';
import { createTestApp, type Shopper, signUp, type TestApp } from '../helpers/test-app.ts';

describe('order lifecycle through HTTP, from a pasted link to a delivered parcel', () => {
  let test: TestApp;
  let shopper: Shopper;
  let flow: OrderFlow;

  beforeAll(async () => {
    test = await createTestApp();
    shopper = await signUp(test);
    flow = new OrderFlow(test);
  });
  afterAll(() => test.close());

  it('walks link → order → payment → purchase → warehouse → QC → approval → parcel → delivery', async () => {
    const { client } = shopper;
    const warehouse = await flow.warehouse;

    const preview = await client.post('/v1/links/parse', {
      link: '【淘宝】好物 https://h5.m.taobao.com/awp/core/detail.htm?id=6543210987&spm=a2141 点击链接',
    });
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toEqual({
      marketplace: 'taobao',
      itemId: '6543210987',
      canonicalUrl: 'https://item.taobao.com/item.htm?id=6543210987',
    });

    const top = await client.post(
      '/v1/wallet/top-ups',
      { amount: 100_000 },
      { 'idempotency-key': idempotencyKey() },
    );
    expect(top.statusCode).toBe(201);
    expect(top.json()).toMatchObject({ kind: 'top_up', amount: 100_000, balanceAfter: 100_000 });

    const created = await client.post('/v1/orders', {
      items: [
        { link: 'item.jd.com/100012043978.html', title: 'Headphones', quantity: 1, unitPrice: 19_900 },
        {
          link: 'https://detail.1688.com/offer/612345678901.html?spm=x',
          title: 'Phone case',
          options: 'black',
          quantity: 3,
          unitPrice: 1_500,
        },
      ],
      domesticShipping: 1_200,
      note: 'Check the seams, please',
    });
    expect(created.statusCode).toBe(201);
    const order = created.json();
    expect(order).toMatchObject({
      status: 'draft',
      itemsTotal: 24_400,
      domesticShipping: 1_200,
      serviceFee: 1_220,
      total: 26_820,
    });
    expect(order.id).toMatch(/^ord_[0-9a-z]{26}$/);
    expect(order.items.map((item: { url: string }) => item.url)).toEqual([
      'https://item.jd.com/100012043978.html',
      'https://detail.1688.com/offer/612345678901.html',
    ]);

    const paid = await client.post(`/v1/orders/${order.id}/pay`, undefined, {
      'idempotency-key': idempotencyKey(),
    });
    expect(paid.statusCode).toBe(200);
    expect(paid.json().status).toBe('paid');
    expect((await client.get('/v1/wallet')).json().balance).toBe(100_000 - 26_820);

    const staffStep = async (path: string, body?: unknown) => {
      const response = await warehouse.post(`/v1/staff/orders/${order.id}/${path}`, body);
      expect(response.statusCode, response.body).toBe(200);
      return response.json();
    };
    expect((await staffStep('purchasing')).status).toBe('purchasing');
    expect((await staffStep('purchased')).status).toBe('purchased');
    expect((await staffStep('arrival', { weightGrams: 950 })).status).toBe('in_warehouse');

    const photo = await warehouse.request('POST', `/v1/staff/orders/${order.id}/photos`, PNG_1X1, {
      'content-type': 'image/png',
    });
    expect(photo.statusCode).toBe(201);
    expect(photo.json()).toMatchObject({ contentType: 'image/png', sizeBytes: PNG_1X1.length });
    expect((await staffStep('qc-ready')).status).toBe('qc_ready');

    const seen = await client.get(`/v1/orders/${order.id}/photos/${photo.json().id}`);
    expect(seen.statusCode).toBe(200);
    expect(seen.headers['content-type']).toBe('image/png');
    expect(seen.headers['content-security-policy']).toContain('sandbox');
    expect(seen.rawPayload.equals(PNG_1X1)).toBe(true);

    const approved = await client.post(`/v1/orders/${order.id}/approve`);
    expect(approved.json().status).toBe('approved');

    const address = await client.post('/v1/me/addresses', addressBody());
    expect(address.statusCode).toBe(201);

    const parcel = await client.post('/v1/parcels', {
      orderIds: [order.id],
      shippingLine: 'eu-tax-free',
      addressId: address.json().id,
      declaredValue: 20_000,
    });
    expect(parcel.statusCode, parcel.body).toBe(201);
    expect(parcel.json()).toMatchObject({
      status: 'requested',
      destinationCountry: 'PL',
      orderIds: [order.id],
    });
    expect(parcel.json().address).toMatchObject({ city: 'Warszawa', recipientName: 'Anna Kowalska' });
    expect((await client.get(`/v1/orders/${order.id}`)).json().status).toBe('parcelled');

    const parcelId = parcel.json().id;
    const packed = await warehouse.post(`/v1/staff/parcels/${parcelId}/pack`, { weightGrams: 1_100 });
    expect(packed.statusCode).toBe(200);
    // EU line: 150 CNY for the first 500 g, 35 CNY for each 500 g after (1,100 g → two more).
    expect(packed.json()).toMatchObject({ status: 'packed', shippingFee: 15_000 + 2 * 3_500 });
    expect(packed.json().address).toBeNull();

    const shippingPaid = await client.post(`/v1/parcels/${parcelId}/pay`, undefined, {
      'idempotency-key': idempotencyKey(),
    });
    expect(shippingPaid.json().status).toBe('paid');
    expect((await client.get('/v1/wallet')).json().balance).toBe(100_000 - 26_820 - 22_000);

    const shipped = await warehouse.post(`/v1/staff/parcels/${parcelId}/ship`, {
      trackingNumber: 'LX123456789CN',
    });
    expect(shipped.json()).toMatchObject({ status: 'shipped', trackingNumber: 'LX123456789CN' });
    expect((await client.get(`/v1/orders/${order.id}`)).json().status).toBe('shipped');

    const delivered = await warehouse.post(`/v1/staff/parcels/${parcelId}/delivered`);
    expect(delivered.json().status).toBe('delivered');

    const final = (await client.get(`/v1/orders/${order.id}`)).json();
    expect(final.status).toBe('delivered');
    expect(final.timeline.map((entry: { toStatus: string }) => entry.toStatus)).toEqual([
      'draft',
      'paid',
      'purchasing',
      'purchased',
      'in_warehouse',
      'qc_ready',
      'approved',
      'parcelled',
      'shipped',
      'delivered',
    ]);
    expect(final.timeline[2].actorKind).toBe('staff:warehouse');

    const history = (await client.get('/v1/wallet/transactions')).json();
    expect(history.items.map((t: { kind: string; amount: number }) => [t.kind, t.amount])).toEqual([
      ['shipping_payment', -22_000],
      ['order_payment', -26_820],
      ['top_up', 100_000],
    ]);
  });

  it('lists orders newest first with a cursor and a capped page size', async () => {
    const other = await signUp(test);
    for (let i = 0; i < 5; i++) await flow.create(other.client);
    const first = await other.client.get('/v1/orders?limit=2');
    expect(first.json().items).toHaveLength(2);
    const second = await other.client.get(`/v1/orders?limit=2&cursor=${first.json().nextCursor}`);
    const third = await other.client.get(`/v1/orders?limit=2&cursor=${second.json().nextCursor}`);
    expect(third.json().items).toHaveLength(1);
    expect(third.json().nextCursor).toBeNull();
    const ids = [...first.json().items, ...second.json().items, ...third.json().items].map(
      (o: { id: string }) => o.id,
    );
    expect(new Set(ids).size).toBe(5);
    const tooMany = await other.client.get('/v1/orders?limit=1000');
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().errors[0].field).toBe('query.limit');
    expect((await other.client.get('/v1/orders?cursor=bm90LWEtY3Vyc29y')).statusCode).toBe(400);
  });

  it('a shopper may cancel a paid order before purchase and gets every fen back', async () => {
    const buyer = await signUp(test);
    const id = await flow.orderIn(buyer.client, 'paid');
    const before = (await buyer.client.get('/v1/wallet')).json().balance;
    const total = (await buyer.client.get(`/v1/orders/${id}`)).json().total;
    const cancelled = await buyer.client.post(`/v1/orders/${id}/cancel`);
    expect(cancelled.json().status).toBe('refunded');
    expect((await buyer.client.get('/v1/wallet')).json().balance).toBe(before + total);
  });
});
