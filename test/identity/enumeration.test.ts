import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, type TestApp, uniqueEmail } from '../helpers/test-app.ts';

// Whether an e-mail address has an account must not show in any answer: not in the status, not in the
// body, not in the headers, not in the timing, and not in how the throttle treats it.

const PASSWORD = 'correct horse battery staple';
const TRIES = 50;
const WARM_UP = 6;
// Fewer than the 5 free failures per account: the account throttle never shapes the timing.
const FAILURES_PER_ACCOUNT = 4;

let networks = 0;
/** Each try from its own /24, so no network's budget (30 failures) is spent by the measurement. */
const freshNetwork = () => {
  networks += 1;
  return `10.${Math.floor(networks / 250)}.${networks % 250}.9`;
};

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** The answer with its per-request parts (the request ID, in the body and its header) blanked. */
function comparable(response: LightMyRequestResponse) {
  const requestId = String(response.headers['x-request-id']);
  const { 'x-request-id': _id, date: _date, ratelimit, ...rest } = response.headers;
  // What is left of the caller's own budgets moves with every request, whatever the address: compare
  // which policies are reported, not how much of them is left.
  const headers = { ...rest, ratelimit: String(ratelimit).replace(/;r=\d+;t=\d+/g, '') };
  return { status: response.statusCode, headers, body: response.body.replaceAll(requestId, '<request id>') };
}

describe('an unknown e-mail and a wrong password cannot be told apart', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await createTestApp();
  });
  afterAll(() => test.close());

  const login = (email: string, password: string, ip = freshNetwork()) =>
    test.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { email, password },
      remoteAddress: ip,
    });

  async function register(email = uniqueEmail()) {
    const response = await test.anonymous.post('/v1/auth/register', {
      email,
      password: PASSWORD,
      fullName: 'Known Shopper',
      country: 'PL',
    });
    expect(response.statusCode).toBe(201);
    return email;
  }

  it(`the same status, body and headers, and a median time within 20 % over ${TRIES} tries each`, async () => {
    const accounts: string[] = [];
    for (let i = 0; i < Math.ceil((TRIES + WARM_UP) / FAILURES_PER_ACCOUNT); i += 1)
      accounts.push(await register());
    const known = (i: number) => accounts[Math.floor(i / FAILURES_PER_ACCOUNT)] as string;
    // Unknown addresses are reused exactly as often as known ones, so both sides meet the same throttle
    // state (a fresh counter, then an existing one) and only the account's existence differs.
    const strangers = accounts.map(() => uniqueEmail('nobody'));
    const unknown = (i: number) => strangers[Math.floor(i / FAILURES_PER_ACCOUNT)] as string;

    const timings = { known: [] as number[], unknown: [] as number[] };
    let reference: ReturnType<typeof comparable> | null = null;
    const timed = async (kind: 'known' | 'unknown', i: number, measured: boolean) => {
      const email = kind === 'known' ? known(i) : unknown(i);
      const started = performance.now();
      const response = await login(email, 'not the password at all');
      const elapsed = performance.now() - started;
      const answer = comparable(response);
      reference ??= answer;
      expect(answer, `${kind} #${i}`).toEqual(reference);
      if (measured) timings[kind].push(elapsed);
    };

    // Interleaved, alternating which goes first, after a few unmeasured warm-up tries.
    for (let i = 0; i < WARM_UP + TRIES; i += 1) {
      const measured = i >= WARM_UP;
      const order: ('known' | 'unknown')[] = i % 2 ? ['known', 'unknown'] : ['unknown', 'known'];
      for (const kind of order) await timed(kind, i, measured);
    }

    const answer = reference as unknown as ReturnType<typeof comparable>;
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'IDENTITY_INVALID_CREDENTIALS' });
    const knownMedian = median(timings.known);
    const unknownMedian = median(timings.unknown);
    const ratio = knownMedian / unknownMedian;
    console.info(
      `login timing over ${TRIES} tries each: wrong password median ${knownMedian.toFixed(1)} ms, ` +
        `unknown e-mail median ${unknownMedian.toFixed(1)} ms, ratio ${ratio.toFixed(3)}`,
    );
    expect(timings.known).toHaveLength(TRIES);
    expect(timings.unknown).toHaveLength(TRIES);
    expect(ratio).toBeGreaterThan(1 / 1.2);
    expect(ratio).toBeLessThan(1.2);

    // Each wrong password was still recorded in the account's login history (after its answer went out).
    const db = test.container.database.db;
    const ids = await db
      .selectFrom('users')
      .select('id')
      .where(
        'emailIndex',
        'in',
        accounts.map((email) => test.container.identity.accounts.emailIndex(email)),
      )
      .execute();
    const recorded = async () =>
      Number(
        (
          await db
            .selectFrom('loginEvents')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where(
              'userId',
              'in',
              ids.map((row) => row.id),
            )
            .where('outcome', '=', 'wrong_password')
            .executeTakeFirstOrThrow()
        ).n,
      );
    const deadline = Date.now() + 5_000;
    while ((await recorded()) < WARM_UP + TRIES && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await recorded()).toBe(WARM_UP + TRIES);
  });

  it('sign-up answers the same for a new and an already registered address', async () => {
    const existing = await register();
    const body = { password: 'another long passphrase here', fullName: 'Someone Else', country: 'DE' };
    const again = await test.anonymous.post('/v1/auth/register', { ...body, email: existing });
    const upperCase = await test.anonymous.post('/v1/auth/register', {
      ...body,
      email: existing.toUpperCase(),
    });
    const fresh = await test.anonymous.post('/v1/auth/register', { ...body, email: uniqueEmail() });
    expect(comparable(again)).toEqual(comparable(fresh));
    expect(comparable(upperCase)).toEqual(comparable(fresh));
    expect(fresh.statusCode).toBe(201);
    // The existing account kept its password.
    expect((await login(existing, PASSWORD)).statusCode).toBe(200);
  });

  it('a password-reset request answers the same for a known and an unknown address', async () => {
    const existing = await register();
    const known = await test.anonymous.post('/v1/auth/password-reset', { email: existing });
    const unknown = await test.anonymous.post('/v1/auth/password-reset', { email: uniqueEmail('nobody') });
    expect(known.statusCode).toBe(202);
    expect(comparable(known)).toEqual(comparable(unknown));
    expect(known.body).toBe(unknown.body);
  });

  describe('the per-account throttle', () => {
    const accountKey = (email: string) =>
      `login:account:${test.container.identity.accounts.emailIndex(email)}`;

    it('after five wrong passwords the sixth answer is a 429 with Retry-After, for a known and an unknown address alike', async () => {
      const runs: Record<'known' | 'unknown', ReturnType<typeof comparable>[]> = { known: [], unknown: [] };
      const existing = await register();
      const targets = { known: existing, unknown: uniqueEmail('nobody') };
      for (const kind of ['known', 'unknown'] as const) {
        const ip = freshNetwork();
        for (let i = 0; i < 6; i += 1)
          runs[kind].push(comparable(await login(targets[kind], `wrong password ${i}`, ip)));
      }
      expect(runs.known.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 429]);
      expect(runs.unknown).toEqual(runs.known);
      const throttled = runs.known[5] as ReturnType<typeof comparable>;
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(throttled.body)).toMatchObject({ code: 'IDENTITY_THROTTLED' });

      // While the account waits, even the right password gets the same 429 (no oracle), from anywhere.
      const right = await login(existing, PASSWORD);
      expect(expectProblem(right, 429).code).toBe('IDENTITY_THROTTLED');
      // Other accounts are not held back.
      expect((await login(await register(), PASSWORD)).statusCode).toBe(200);
    });

    it('the wait never exceeds 15 minutes, and a correct login after it works and resets the count', async () => {
      const existing = await register();
      const db = test.container.database.db;
      const key = accountKey(existing);
      // A long history of failures, its last wait over.
      const past = new Date(Date.now() - 1000);
      await db
        .insertInto('authThrottle')
        .values({ key, failures: 200, lastFailureAt: past, blockedUntil: past })
        .execute();
      const before = Date.now();
      expectProblem(await login(existing, 'yet another wrong password'), 401);
      const row = await db
        .selectFrom('authThrottle')
        .selectAll()
        .where('key', '=', key)
        .executeTakeFirstOrThrow();
      expect(row.failures).toBe(201);
      const wait = row.blockedUntil.getTime() - before;
      expect(wait).toBeGreaterThan(14 * 60_000);
      expect(wait).toBeLessThanOrEqual(15 * 60_000 + 1000);
      const blocked = await login(existing, PASSWORD);
      expect(expectProblem(blocked, 429).code).toBe('IDENTITY_THROTTLED');
      expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(14 * 60);

      // Fifteen minutes later (the wait moved into the past), the right password works and clears the count.
      await db.updateTable('authThrottle').set({ blockedUntil: past }).where('key', '=', key).execute();
      expect((await login(existing, PASSWORD)).statusCode).toBe(200);
      expect(
        await db.selectFrom('authThrottle').selectAll().where('key', '=', key).executeTakeFirst(),
      ).toBeUndefined();
    });

    it('many accounts from one network: the network waits after 30 failures', async () => {
      const ip = freshNetwork();
      const answers: number[] = [];
      for (let i = 0; i < 31; i += 1)
        answers.push((await login(uniqueEmail('spray'), 'wrong password', ip)).statusCode);
      expect(answers.slice(0, 30).every((status) => status === 401)).toBe(true);
      expect(answers[30]).toBe(429);
      // A neighbour in the same /24 waits too; another network does not.
      const neighbour = ip.replace(/\.9$/, '.77');
      expectProblem(await login(uniqueEmail('spray'), 'wrong password', neighbour), 429);
      expectProblem(await login(uniqueEmail('spray'), 'wrong password'), 401);
    });
  });
});
