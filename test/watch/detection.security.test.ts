import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderFlow } from '../helpers/commerce-flows.ts';
import {
  createTestApp,
  expectProblem,
  type Shopper,
  type StaffMember,
  signUp,
  staffMember,
  type TestApp,
  totpCode,
  uniqueEmail,
} from '../helpers/test-app.ts';
import { alertOf, alertsSeen, from, waitUntil } from './helpers.ts';

/*
 * Live detection (DESIGN §6): each rule is driven by the attack it names, through HTTP, and the test
 * checks both the alert security staff see and the containment that stopped the attacker.
 */

const REASON = 'the customer called about a missing parcel';
const SHOPPER_PASSWORD = 'correct horse battery staple';

describe('attacks by a principal (one instance)', () => {
  let test: TestApp;
  let security: StaffMember;
  let victims: Shopper[];

  beforeAll(async () => {
    test = await createTestApp({
      BULWARK_WATCH_CONTAIN: 'true',
      BULWARK_PII_BUDGET_SUPPORT: '5/20',
      BULWARK_PII_BUDGET_ADMIN: '50/100',
      BULWARK_WATCH_REVEAL_FLOOR: '8',
      BULWARK_WATCH_ENUMERATION_OBJECTS: '8',
      BULWARK_WATCH_TAKEOVER_FAILURES: '4',
      BULWARK_WATCH_SESSION_NETWORKS: '3',
    });
    security = await staffMember(test, 'security');
    victims = [];
    for (let i = 0; i < 10; i += 1) victims.push(await signUp(test));
  });
  afterAll(async () => {
    await test?.close();
  });

  it('a stolen support token revealing as fast as it can is stopped at its budget and revoked within 5 seconds of the first refusal', async () => {
    const support = await staffMember(test, 'support');
    let firstRefusalAt: number | null = null;
    let revokedAt: number | null = null;
    let revealed = 0;
    for (let i = 0; i < 200 && revokedAt === null; i += 1) {
      const victim = victims[i % victims.length] as Shopper;
      const answer = await support.client.post(`/v1/staff/customers/${victim.userId}/reveal`, {
        fields: ['email', 'phone'],
        reason: REASON,
      });
      if (answer.statusCode === 200) revealed += 1;
      else if (answer.statusCode === 429) {
        expect(expectProblem(answer, 429).code).toBe('SHIELD_PII_BUDGET_EXCEEDED');
        firstRefusalAt ??= Date.now();
      } else if (answer.statusCode === 401) revokedAt = Date.now();
      else throw new Error(`unexpected ${answer.statusCode}: ${answer.body}`);
    }
    expect(revealed).toBe(5);
    expect(firstRefusalAt).not.toBeNull();
    expect(revokedAt).not.toBeNull();
    expect((revokedAt as number) - (firstRefusalAt as number)).toBeLessThan(5_000);

    const alert = await alertOf(test, security, 'exfiltration.budget_refused');
    expect(alert.severity).toBe('critical');
    expect(alert.principals).toEqual([support.userId]);
    expect(alert.containments.map((c) => [c.kind, c.target.id])).toEqual([
      ['user.sessions_revoke', support.userId],
    ]);
    // Containment is written to the trail, as Bulwark's own action, naming the alert's reason.
    const trail = await security.client.get(`/v1/security/trail?action=containment.applied&limit=50`);
    const entries = trail.json().items as {
      actor: { kind: string };
      target: { id: string };
      purpose: string;
    }[];
    const entry = entries.find((e) => e.target.id === support.userId);
    expect(entry?.actor.kind).toBe('system');
    expect(entry?.purpose).toContain('user.sessions_revoke: exfiltration.budget_refused');
  });

  it('a shopper walking other shoppers’ order IDs is locked after a bounded number of tries', async () => {
    const flow = new OrderFlow(test);
    const others = [];
    for (const victim of victims.slice(0, 3)) others.push(await flow.create(victim.client));
    const walker = await signUp(test);
    const own = await flow.create(walker.client);
    expect((await walker.client.get(`/v1/orders/${own}`)).statusCode).toBe(200);
    // Real order IDs of others first, then guesses of the same shape.
    const guesses = [
      ...others,
      ...Array.from({ length: 40 }, (_, i) => `ord_${String(i).padStart(26, '0')}`),
    ];
    let tries = 0;
    for (const id of guesses) {
      const answer = await walker.client.get(`/v1/orders/${id}`);
      if (answer.statusCode === 401) break;
      expectProblem(answer, 404);
      tries += 1;
    }
    // Locked at the threshold (8 objects): the node refuses the walker before the lock is even written.
    expect(tries).toBe(8);
    // Once the lock is written (the walker is refused meanwhile), the password no longer logs in.
    await test.container.watch.settled();
    const again = await test.anonymous.post('/v1/auth/token', {
      email: walker.email,
      password: walker.password,
    });
    expect(expectProblem(again, 403).code).toBe('IDENTITY_PASSWORD_RESET_REQUIRED');
    const alert = await alertOf(test, security, 'enumeration.object_refusals');
    expect(alert.principals).toEqual([walker.userId]);
    expect(alert.containments.map((c) => c.kind)).toEqual(['account.lock']);
    // The evidence names IDs and counts, never personal data.
    expect(JSON.stringify(alert)).not.toContain(walker.email);
  });

  it('account takeover: a login that succeeds after many failures locks the account and challenges the network', async () => {
    const victim = await signUp(test);
    const attacker = '198.51.100.77';
    for (let i = 0; i < 4; i += 1) {
      const wrong = await from(test, attacker, 'POST', '/v1/auth/token', {
        email: victim.email,
        password: `wrong guess ${i}`,
      });
      expectProblem(wrong, 401);
    }
    const taken = await from(test, attacker, 'POST', '/v1/auth/token', {
      email: victim.email,
      password: victim.password,
    });
    expect(taken.statusCode).toBe(200);
    const stolen = taken.json().accessToken as string;
    await test.container.watch.settled();
    const me = await from(test, attacker, 'GET', '/v1/me', undefined, { authorization: `Bearer ${stolen}` });
    expect(me.statusCode).toBe(401);
    const alert = await alertOf(test, security, 'account_takeover.success_after_failures');
    expect(alert.principals).toEqual([victim.userId]);
    expect(alert.containments.map((c) => `${c.kind} ${c.target.id}`).sort()).toEqual(
      [`account.lock ${victim.userId}`, 'network.challenge 198.51.100.0/24'].sort(),
    );
    expect(await test.container.suspects.isSuspect(attacker)).toBe(true);
  });

  it('account takeover: a security change right after a login from a new device locks the account', async () => {
    const victim = await signUp(test);
    const login = await test.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      remoteAddress: '198.18.7.7',
      headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0' },
      payload: { email: victim.email, password: SHOPPER_PASSWORD },
    });
    expect(login.statusCode).toBe(200);
    const changed = await test.app.inject({
      method: 'POST',
      url: '/v1/me/password',
      remoteAddress: '198.18.7.7',
      headers: { authorization: `Bearer ${login.json().accessToken}` },
      payload: { currentPassword: SHOPPER_PASSWORD, newPassword: 'an entirely new and long passphrase' },
    });
    expect(changed.statusCode, changed.body).toBe(204);
    const alert = await alertOf(test, security, 'account_takeover.new_device_change');
    expect(alert.principals).toEqual([victim.userId]);
    expect(alert.containments.map((c) => c.kind)).toEqual(['account.lock']);
    const relogin = await test.anonymous.post('/v1/auth/token', {
      email: victim.email,
      password: 'an entirely new and long passphrase',
    });
    expect(expectProblem(relogin, 403).code).toBe('IDENTITY_PASSWORD_RESET_REQUIRED');
  });

  it('exfiltration far above the principal’s baseline demands a step-up', async () => {
    const admin = await staffMember(test, 'admin');
    let stepUpDemanded = false;
    for (let i = 0; i < 30 && !stepUpDemanded; i += 1) {
      const victim = victims[i % victims.length] as Shopper;
      const answer = await admin.client.post(`/v1/staff/customers/${victim.userId}/reveal`, {
        fields: ['email'],
        reason: REASON,
      });
      if (answer.statusCode === 200) continue;
      expect(expectProblem(answer, 401).code).toBe('IDENTITY_STEP_UP_REQUIRED');
      stepUpDemanded = true;
    }
    expect(stepUpDemanded).toBe(true);
    const alert = await alertOf(test, security, 'exfiltration.above_baseline');
    expect(alert.containments.map((c) => `${c.kind} ${c.target.id}`)).toEqual([
      `user.step_up ${admin.userId}`,
    ]);
  });

  it('token misuse: a refresh token used twice raises an alert and its family stays revoked', async () => {
    const victim = await signUp(test);
    const tokens = (
      await test.anonymous.post('/v1/auth/token', { email: victim.email, password: victim.password })
    ).json();
    const first = await test.anonymous.post('/v1/auth/refresh', { refreshToken: tokens.refreshToken });
    expect(first.statusCode).toBe(200);
    const replay = await test.anonymous.post('/v1/auth/refresh', { refreshToken: tokens.refreshToken });
    expect(expectProblem(replay, 401).code).toBe('IDENTITY_REFRESH_TOKEN_REUSED');
    const alert = await alertOf(test, security, 'token_misuse.refresh_reuse');
    expect(alert.principals).toEqual([victim.userId]);
    expect(alert.containments.map((c) => c.kind)).toEqual(['session.revoke']);
    const after = await test.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: `Bearer ${first.json().accessToken}` },
    });
    expect(after.statusCode).toBe(401);
  });

  it('token misuse: one session used from three networks at once is revoked', async () => {
    const victim = await signUp(test);
    const bearer = { authorization: victim.client.headers.authorization as string };
    // Signed up and first used from 127.0.0.0/24; then a second and a third network.
    expect((await from(test, '192.0.2.10', 'GET', '/v1/me', undefined, bearer)).statusCode).toBe(200);
    const third = await from(test, '203.0.113.99', 'GET', '/v1/me', undefined, bearer);
    expect(third.statusCode).toBe(200);
    await test.container.watch.settled();
    expect((await from(test, '192.0.2.10', 'GET', '/v1/me', undefined, bearer)).statusCode).toBe(401);
    const alert = await alertOf(test, security, 'token_misuse.session_networks');
    expect(alert.principals).toEqual([victim.userId]);
    expect(alert.containments.map((c) => c.kind)).toEqual(['session.revoke']);
  });

  it('privileged anomaly: a staff login from a new device demands a step-up before any sensitive route', async () => {
    const support = await staffMember(test, 'support');
    const login = await test.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      headers: { 'user-agent': 'Mozilla/5.0 (Macintosh) Safari/605.1.15' },
      payload: {
        email: support.email,
        password: support.password,
        mfaCode: totpCode(support.totpSecret, Date.now() + 30_000),
      },
    });
    expect(login.statusCode, login.body).toBe(200);
    await test.container.watch.settled();
    const reveal = await test.app.inject({
      method: 'POST',
      url: `/v1/staff/customers/${(victims[0] as Shopper).userId}/reveal`,
      headers: { authorization: `Bearer ${login.json().accessToken}` },
      payload: { fields: ['email'], reason: REASON },
    });
    expect(expectProblem(reveal, 401).code).toBe('IDENTITY_STEP_UP_REQUIRED');
    const alert = await alertOf(test, security, 'privileged.staff_new_device');
    expect(alert.principals).toEqual([support.userId]);
    expect(alert.containments.map((c) => c.kind)).toEqual(['user.step_up']);
  });

  it('alerts are grouped: the same rule and group raise one alert, and pages follow the cursor', async () => {
    const alerts = await alertsSeen(test, security);
    const keys = alerts.map((a) => `${a.rule} ${a.principals.join(',')} ${a.networks.join(',')}`);
    expect(new Set(keys).size).toBe(keys.length);
    const firstPage = await security.client.get('/v1/security/alerts?limit=2');
    const { items, nextCursor } = firstPage.json();
    expect(items).toHaveLength(2);
    const second = await security.client.get(`/v1/security/alerts?limit=2&cursor=${nextCursor}`);
    const ids = [...items, ...second.json().items].map((a: { id: string }) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('only security staff read alerts and only they lift containments', async () => {
    const support = await staffMember(test, 'support');
    expectProblem(await support.client.get('/v1/security/alerts'), 403);
    const live = await security.client.get('/v1/security/containments');
    const id = (live.json().items as { id: string }[])[0]?.id as string;
    expectProblem(
      await support.client.post(`/v1/security/containments/${id}/lift`, { note: 'not mine' }),
      403,
    );
    expect(uniqueEmail()).toContain('@');
  });
});

describe('attacks from a network (one instance)', () => {
  let test: TestApp;
  let security: StaffMember;

  beforeAll(async () => {
    test = await createTestApp({
      BULWARK_WATCH_CONTAIN: 'true',
      BULWARK_WATCH_STUFFING_ACCOUNTS: '6',
      BULWARK_WATCH_GLOBAL_FAILURES: '14',
    });
    security = await staffMember(test, 'security');
  });
  afterAll(async () => {
    await test?.close();
  });

  it('credential stuffing: failures across many accounts from one network put the network behind a challenge', async () => {
    const accounts = [await signUp(test), await signUp(test), await signUp(test)];
    const emails = [...accounts.map((a) => a.email), uniqueEmail(), uniqueEmail(), uniqueEmail()];
    for (const [i, email] of emails.entries()) {
      const answer = await from(test, `203.0.113.${10 + i}`, 'POST', '/v1/auth/token', {
        email,
        password: 'Summer2024!',
      });
      expectProblem(answer, 401);
    }
    await test.container.watch.settled();
    const next = await from(test, '203.0.113.200', 'POST', '/v1/auth/token', {
      email: accounts[0]?.email,
      password: 'Winter2024!',
    });
    expect(expectProblem(next, 403).code).toBe('SHIELD_CHALLENGE_REQUIRED');
    // Someone elsewhere is not affected.
    const elsewhere = await from(test, '192.0.2.50', 'POST', '/v1/auth/token', {
      email: accounts[0]?.email,
      password: accounts[0]?.password,
    });
    expect(elsewhere.statusCode).toBe(200);
    const alert = await alertOf(test, security, 'credential_stuffing.network');
    expect(alert.networks).toEqual(['203.0.113.0/24']);
    expect(alert.evidence.accounts).toBe(6);
    expect(alert.containments.map((c) => `${c.kind} ${c.target.id}`)).toEqual([
      'network.challenge 203.0.113.0/24',
    ]);
    // No address typed in the attack is stored in the alert.
    for (const email of emails) expect(JSON.stringify(alert)).not.toContain(email);
  });

  it('security staff lift a containment (recorded), and lifting twice changes nothing', async () => {
    const live = (await security.client.get('/v1/security/containments')).json().items as {
      id: string;
      kind: string;
    }[];
    const challenge = live.find((c) => c.kind === 'network.challenge');
    expect(challenge).toBeDefined();
    const lifted = await security.client.post(`/v1/security/containments/${challenge?.id}/lift`, {
      note: 'a shared office NAT, checked with the customer',
    });
    expect(lifted.statusCode, lifted.body).toBe(200);
    expect(lifted.json().liftedAt).not.toBeNull();
    expect(await test.container.suspects.isSuspect('203.0.113.200')).toBe(false);
    const again = await security.client.post(`/v1/security/containments/${challenge?.id}/lift`, {
      note: 'a shared office NAT, checked with the customer',
    });
    expect(again.json().liftedAt).toBe(lifted.json().liftedAt);
    const trail = await security.client.get('/v1/security/trail?action=containment.lifted');
    expect(trail.json().items).toHaveLength(1);
    expectProblem(
      await security.client.post('/v1/security/containments/cnt_00000000000000000000000000/lift', {
        note: 'no such one',
      }),
      404,
    );
  });

  it('infrastructure: a ciphertext moved between rows fails to decrypt and raises an alert naming the row only', async () => {
    const [a, b] = [await signUp(test), await signUp(test)];
    const db = test.container.database.db;
    const other = await db
      .selectFrom('users')
      .select('fullNameEnc')
      .where('id', '=', b.userId)
      .executeTakeFirstOrThrow();
    await db
      .updateTable('users')
      .set({ fullNameEnc: other.fullNameEnc })
      .where('id', '=', a.userId)
      .execute();
    expect(expectProblem(await a.client.get('/v1/me'), 503).code).toBe('VAULT_DATA_UNREADABLE');
    const alert = await alertOf(test, security, 'infrastructure.decryption_failed');
    expect(alert.severity).toBe('high');
    expect(alert.evidence).toMatchObject({ table: 'users', column: 'full_name', rowId: a.userId });
    expect(alert.containments).toEqual([]);
  });

  it('credential stuffing: a global spike of failures from many networks raises one alert', async () => {
    // Eight more failures, each from its own network: none is a stuffing source by itself.
    for (let i = 0; i < 8; i += 1) {
      await from(test, `198.18.${i}.1`, 'POST', '/v1/auth/token', {
        email: uniqueEmail(),
        password: 'guess',
      });
    }
    await waitUntil(
      async () => (await alertsSeen(test, security)).some((a) => a.rule === 'credential_stuffing.global'),
      5_000,
      'the global spike alert',
    );
    const alerts = (await alertsSeen(test, security)).filter((a) => a.rule === 'credential_stuffing.global');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.evidence.failures).toBe(14);
  });
});

describe('scraping (one instance, a small listing budget)', () => {
  let test: TestApp;
  let security: StaffMember;

  beforeAll(async () => {
    test = await createTestApp({
      BULWARK_WATCH_CONTAIN: 'true',
      BULWARK_WATCH_SCRAPING_REFUSALS: '3',
      BULWARK_RATE_LIMIT_LISTING: '200/600',
    });
    security = await staffMember(test, 'security');
  });
  afterAll(async () => {
    await test?.close();
  });

  it('scraping: a caller that keeps paging after its listing budget is spent loses its sessions', async () => {
    const scraper = await signUp(test);
    let refused = 0;
    let cut = false;
    for (let i = 0; i < 20 && !cut; i += 1) {
      const page = await scraper.client.get('/v1/orders?limit=50');
      if (page.statusCode === 429) refused += 1;
      if (page.statusCode === 401) cut = true;
    }
    expect(refused).toBeGreaterThanOrEqual(3);
    expect(cut).toBe(true);
    const alert = await alertOf(test, security, 'scraping.listing_refusals');
    expect(alert.containments.map((c) => `${c.kind} ${c.target.id}`)).toEqual([
      `user.sessions_revoke ${scraper.userId}`,
    ]);
  });
});
