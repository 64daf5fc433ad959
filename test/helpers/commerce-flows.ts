import type { Client, TestApp } from './test-app.ts';
import { staffClient } from './test-app.ts';

export const TAOBAO = 'https://item.taobao.com/item.htm?id=6543210987';
export const PNG_1X1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

let keys = 0;
export const idempotencyKey = () => `test-key-${process.pid}-${Date.now()}-${++keys}`;

export function orderBody(overrides: Record<string, unknown> = {}) {
  return {
    items: [
      { link: TAOBAO, title: 'Canvas sneakers', options: 'EU 42 / white', quantity: 2, unitPrice: 9_900 },
    ],
    domesticShipping: 1_000,
    ...overrides,
  };
}

/** Drives an order through HTTP to the named state, the way the shopper and the warehouse would. */
export class OrderFlow {
  readonly warehouse: Promise<Client>;
  constructor(test: TestApp) {
    this.warehouse = staffClient(test, 'warehouse');
  }

  async topUp(shopper: Client, amount: number) {
    const response = await shopper.post(
      '/v1/wallet/top-ups',
      { amount },
      { 'idempotency-key': idempotencyKey() },
    );
    if (response.statusCode !== 201) throw new Error(`top-up failed: ${response.body}`);
  }

  async create(shopper: Client, body = orderBody()): Promise<string> {
    const response = await shopper.post('/v1/orders', body);
    if (response.statusCode !== 201) throw new Error(`order failed: ${response.body}`);
    return response.json().id;
  }

  async step(client: Client, path: string, body?: unknown, headers?: Record<string, string>) {
    const response = await client.post(path, body, headers);
    if (response.statusCode >= 300) throw new Error(`${path} failed: ${response.body}`);
    return response.json();
  }

  /** Creates an order and moves it to `state` through the real endpoints. */
  async orderIn(shopper: Client, state: string): Promise<string> {
    const staff = await this.warehouse;
    await this.topUp(shopper, 200_000);
    const id = await this.create(shopper);
    const path = (action: string) => `/v1/orders/${id}/${action}`;
    const staffPath = (action: string) => `/v1/staff/orders/${id}/${action}`;
    const route: Record<string, () => Promise<unknown>> = {
      paid: () => this.step(shopper, path('pay'), undefined, { 'idempotency-key': idempotencyKey() }),
      purchasing: () => this.step(staff, staffPath('purchasing')),
      purchased: () => this.step(staff, staffPath('purchased')),
      in_warehouse: () => this.step(staff, staffPath('arrival'), { weightGrams: 800 }),
      qc_ready: async () => {
        const upload = await staff.request('POST', staffPath('photos'), PNG_1X1, {
          'content-type': 'image/png',
        });
        if (upload.statusCode !== 201) throw new Error(`photo failed: ${upload.body}`);
        return this.step(staff, staffPath('qc-ready'));
      },
      approved: () => this.step(shopper, path('approve')),
    };
    const sequence = ['paid', 'purchasing', 'purchased', 'in_warehouse', 'qc_ready', 'approved'];
    const special: Record<string, () => Promise<unknown>> = {
      withdrawn: () => this.step(shopper, path('cancel')),
      cancelled: () => this.step(staff, staffPath('cancel'), { reason: 'out of stock' }),
    };
    if (state === 'draft') return id;
    if (special[state]) {
      await special[state]();
      return id;
    }
    const stopAt: Record<string, string> = { refunded: 'paid', return_requested: 'qc_ready' };
    const target = stopAt[state] ?? state;
    for (const next of sequence) {
      await route[next]?.();
      if (next === target) break;
    }
    if (state === 'refunded') await this.step(shopper, path('cancel'));
    if (state === 'return_requested') await this.step(shopper, path('return'));
    return id;
  }
}

/** A valid address body for POST /v1/me/addresses. */
export function addressBody(overrides: Record<string, unknown> = {}) {
  return {
    recipientName: 'Anna Kowalska',
    phone: '+48601234567',
    line1: 'ul. Marszałkowska 10',
    city: 'Warszawa',
    postalCode: '00-950',
    country: 'PL',
    ...overrides,
  };
}
