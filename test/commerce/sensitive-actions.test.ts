import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressBody, idempotencyKey, OrderFlow } from '../helpers/commerce-flows.ts';
import {
  backdateAuthentication,
  createTestApp,
  expectProblem,
  type Shopper,
  signUp,
  type TestApp,
} from '../helpers/test-app.ts';

/**
 * Taking money out and redirecting a parcel are what a thief with a stolen session wants: both demand an
 * authentication within the step-up window, and a fresh one reopens them.
 */
describe('sensitive shopper actions need a recent authentication', () => {
  let test: TestApp;
  let flow: OrderFlow;

  beforeAll(async () => {
    test = await createTestApp();
    flow = new OrderFlow(test);
  });
  afterAll(() => test.close());

  /** Pretends the shopper's sessions were opened `minutes` ago. */
  const age = (shopper: Shopper, minutes: number) =>
    backdateAuthentication(test, shopper.userId, minutes * 60);

  async function stepUp(shopper: Shopper) {
    const response = await shopper.client.post('/v1/auth/step-up', { password: shopper.password });
    expect(response.statusCode, response.body).toBe(200);
  }

  it('a withdrawal is refused after five minutes, allowed after step-up, and never overdraws', async () => {
    const shopper = await signUp(test);
    await flow.topUp(shopper.client, 10_000);
    await age(shopper, 6);
    const refused = await shopper.client.post(
      '/v1/wallet/withdrawals',
      { amount: 5_000 },
      { 'idempotency-key': idempotencyKey() },
    );
    expect(expectProblem(refused, 401).code).toBe('IDENTITY_STEP_UP_REQUIRED');
    expect(refused.headers['www-authenticate']).toContain('error="insufficient_user_authentication"');
    expect((await shopper.client.get('/v1/wallet')).json().balance).toBe(10_000);

    await stepUp(shopper);
    const key = idempotencyKey();
    const paid = await shopper.client.post(
      '/v1/wallet/withdrawals',
      { amount: 5_000 },
      { 'idempotency-key': key },
    );
    expect(paid.statusCode, paid.body).toBe(201);
    expect(paid.json()).toMatchObject({ kind: 'withdrawal', amount: -5_000, balanceAfter: 5_000 });
    const replay = await shopper.client.post(
      '/v1/wallet/withdrawals',
      { amount: 5_000 },
      { 'idempotency-key': key },
    );
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const overdraw = await shopper.client.post(
      '/v1/wallet/withdrawals',
      { amount: 6_000 },
      { 'idempotency-key': idempotencyKey() },
    );
    expect(expectProblem(overdraw, 402).code).toBe('COMMERCE_INSUFFICIENT_FUNDS');
    expect((await shopper.client.get('/v1/wallet')).json().balance).toBe(5_000);
  });

  it('a parcel that has not shipped moves to another address only after step-up, and only within its country', async () => {
    const shopper = await signUp(test);
    const orderId = await flow.orderIn(shopper.client, 'approved');
    const home = (await shopper.client.post('/v1/me/addresses', addressBody())).json();
    const office = (
      await shopper.client.post(
        '/v1/me/addresses',
        addressBody({ line1: 'ul. Prosta 51', city: 'Kraków', postalCode: '30-001' }),
      )
    ).json();
    const abroad = (
      await shopper.client.post(
        '/v1/me/addresses',
        addressBody({
          country: 'DE',
          city: 'Berlin',
          postalCode: '10115',
          phone: '+4915112345678',
          line1: 'Unter den Linden 1',
        }),
      )
    ).json();
    const parcel = (
      await shopper.client.post('/v1/parcels', {
        orderIds: [orderId],
        shippingLine: 'eu-tax-free',
        addressId: home.id,
        declaredValue: 20_000,
      })
    ).json();

    await age(shopper, 6);
    const refused = await shopper.client.post(`/v1/parcels/${parcel.id}/address`, { addressId: office.id });
    expect(expectProblem(refused, 401).code).toBe('IDENTITY_STEP_UP_REQUIRED');
    expect((await shopper.client.get(`/v1/parcels/${parcel.id}`)).json().address.city).toBe('Warszawa');

    await stepUp(shopper);
    const moved = await shopper.client.post(`/v1/parcels/${parcel.id}/address`, { addressId: office.id });
    expect(moved.statusCode, moved.body).toBe(200);
    expect((await shopper.client.get(`/v1/parcels/${parcel.id}`)).json().address.city).toBe('Kraków');

    const otherCountry = await shopper.client.post(`/v1/parcels/${parcel.id}/address`, {
      addressId: abroad.id,
    });
    expect(expectProblem(otherCountry, 422).errors?.[0]?.field).toBe('body.addressId');
  });

  it('a wrong step-up password is refused and leaves the window closed', async () => {
    const shopper = await signUp(test);
    await age(shopper, 6);
    const wrong = await shopper.client.post('/v1/auth/step-up', { password: 'not the password at all' });
    expect(expectProblem(wrong, 401).code).toBe('IDENTITY_INVALID_CREDENTIALS');
    const still = await shopper.client.post(
      '/v1/wallet/withdrawals',
      { amount: 100 },
      { 'idempotency-key': idempotencyKey() },
    );
    expect(expectProblem(still, 401).code).toBe('IDENTITY_STEP_UP_REQUIRED');
  });
});
