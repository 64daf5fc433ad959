import { newId } from '../../../platform/ids.ts';
import { signUpShopper } from '../drill-client.ts';
import { blank, type Scenario } from '../scenario.ts';

const idempotencyKey = () => newId('request');

const BAD_AMOUNTS: readonly unknown[] = [-100, 0, 99, 1.5, 100_000_001, '1000', 1e20, null];

/**
 * Money tricks: negative, fractional, huge and non-numeric amounts; a top-up replayed with its idempotency
 * key (and the key reused for another amount); two withdrawals racing for one balance. Passes when every
 * bad amount is refused, a replay charges once, and the balance never goes below zero.
 */
export const money: Scenario = {
  id: 'money',
  title: 'Negative, fractional and huge amounts; replays and double spends',
  async run(context) {
    const shopper = await signUpShopper(context, 'spender');
    const balance = async () =>
      Number(
        ((await shopper.client.get('/v1/wallet')).body as { balance?: number } | null)?.balance ?? Number.NaN,
      );
    const problems: string[] = [];
    for (const amount of BAD_AMOUNTS) {
      const answer = await shopper.client.request(
        'POST',
        '/v1/wallet/top-ups',
        { amount },
        { 'idempotency-key': idempotencyKey() },
      );
      if (answer.status < 300) problems.push(`top-up of ${JSON.stringify(amount)} accepted`);
    }
    if ((await balance()) !== 0) problems.push('refused top-ups changed the balance');

    const key = idempotencyKey();
    const first = await shopper.client.request(
      'POST',
      '/v1/wallet/top-ups',
      { amount: 1_000 },
      { 'idempotency-key': key },
    );
    const replay = await shopper.client.request(
      'POST',
      '/v1/wallet/top-ups',
      { amount: 1_000 },
      { 'idempotency-key': key },
    );
    const other = await shopper.client.request(
      'POST',
      '/v1/wallet/top-ups',
      { amount: 5_000 },
      { 'idempotency-key': key },
    );
    if (first.status >= 300) problems.push(`a valid top-up was refused (${first.status})`);
    if (other.status < 300) problems.push('an idempotency key was reused for another amount');
    const afterReplay = await balance();
    if (first.status < 300 && afterReplay !== 1_000)
      problems.push(`a replayed top-up charged again (balance ${afterReplay})`);
    if (replay.status >= 500) problems.push('a replay answered 5xx');

    // Money sent somewhere else: another wallet named in the request.
    const elsewhere = await shopper.client.request(
      'POST',
      '/v1/wallet/withdrawals',
      { amount: 100, to: 'usr_00000000000000000000000000', walletId: 'acc_00000000000000000000000000' },
      { 'idempotency-key': idempotencyKey() },
    );
    if (elsewhere.status < 300) problems.push('a withdrawal named another wallet');

    const withdraw = () =>
      shopper.client.request(
        'POST',
        '/v1/wallet/withdrawals',
        { amount: 1_000 },
        { 'idempotency-key': idempotencyKey() },
      );
    const raced = await Promise.all([withdraw(), withdraw(), withdraw()]);
    const paid = raced.filter((answer) => answer.status < 300).length;
    const final = await balance();
    if (paid > 1 || final < 0)
      problems.push(`${paid} withdrawals of 1,000 from a balance of 1,000 (now ${final})`);
    return {
      ...blank(this.id),
      obtained: problems.length,
      pass: problems.length === 0,
      reason: problems.join('; ') || 'bad amounts refused; replay charged once; no double spend',
    };
  },
};
