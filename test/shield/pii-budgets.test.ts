import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, ConfigError, loadConfig, PII_BUDGET_ROLES } from '../../src/config/index.ts';
import { createContainer } from '../../src/container.ts';
import { STAFF_ROLES, type StaffPrincipal, type StaffRole } from '../../src/modules/identity/index.ts';
import { ephemeralRootKey } from '../../src/modules/vault/index.ts';
import type { BulwarkEvents, EventName } from '../../src/platform/events.ts';
import type { SessionId, UserId } from '../../src/platform/ids.ts';
import { addressBody, OrderFlow } from '../helpers/commerce-flows.ts';
import {
  backdateAuthentication,
  Client,
  createTestApp,
  expectProblem,
  serveCapturingLogs,
  signUp,
  type TestApp,
  totpCode,
  uniqueEmail,
} from '../helpers/test-app.ts';
import { createPostgresDatabase, engine } from '../helpers/test-database.ts';

/*
 * PII read budgets (DESIGN §5): each staff member may reveal the personal data of only so many different
 * people an hour and a day, by role, counted in the shared database. And the one way past a budget, a bulk
 * export that a second person approves and the requester downloads once.
 */

const STAFF_PASSWORD = 'Staff-4wT9-pass-qZr8-long';
const SHOPPER_PASSWORD = 'a long and secret shopper password';
const REASON = 'the customer called about a missing parcel';
const HOUR = 3600;

/** A clock the test moves; real time still passes underneath. */
function testClock() {
  const clock = {
    offsetMs: 0,
    now: () => new Date(Date.now() + clock.offsetMs),
    advance(seconds: number) {
      clock.offsetMs += seconds * 1000;
    },
  };
  return clock;
}
type TestClock = ReturnType<typeof testClock>;

interface Member {
  readonly userId: string;
  readonly email: string;
  readonly role: StaffRole;
  readonly totpSecret: string;
  client: Client;
}

/** A staff member logged in with password and a code from the test's clock (the server reads that clock). */
async function staff(test: TestApp, clock: TestClock, role: StaffRole): Promise<Member> {
  const email = uniqueEmail(role);
  const created = await test.container.identity.createStaff({
    email,
    password: STAFF_PASSWORD,
    role,
    fullName: `Test ${role}`,
    country: 'CN',
  });
  const member = {
    userId: created.id,
    email,
    role,
    totpSecret: created.totpSecret as string,
    client: undefined as unknown as Client,
  };
  member.client = await logIn(test, clock, member);
  return member;
}

/** A fresh login (after the clock moved on, tokens and the step-up window are stale). */
async function logIn(test: TestApp, clock: TestClock, member: Omit<Member, 'client'>): Promise<Client> {
  const tokens = await test.anonymous.post('/v1/auth/token', {
    email: member.email,
    password: STAFF_PASSWORD,
    mfaCode: totpCode(member.totpSecret, clock.now().getTime()),
  });
  expect(tokens.statusCode, tokens.body).toBe(200);
  return new Client(test.app, { authorization: `Bearer ${tokens.json().accessToken}` });
}

async function relogIn(test: TestApp, clock: TestClock, ...members: Member[]) {
  for (const member of members) member.client = await logIn(test, clock, member);
}

interface Customer {
  readonly id: string;
  readonly email: string;
  readonly fullName: string;
}

/** Shoppers made through identity's sign-up (no login needed): many, quickly. */
async function customers(test: TestApp, count: number, country = 'PL'): Promise<Customer[]> {
  const made: Customer[] = [];
  for (let start = 0; start < count; start += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, count - start) }, async () => {
        const tag = randomBytes(5).toString('hex');
        const email = uniqueEmail(`budget-${tag}`);
        const fullName = `Walentyna Budżetowa-${tag}`;
        const { userId } = await test.container.identity.accounts.registerShopper({
          email,
          password: SHOPPER_PASSWORD,
          fullName,
          country,
        });
        return { id: userId as string, email, fullName };
      }),
    );
    made.push(...batch);
  }
  return made;
}

const reveal = (member: Member, customer: { id: string }) =>
  member.client.post(`/v1/staff/customers/${customer.id}/reveal`, { fields: ['email'], reason: REASON });

function expectRevealed(response: LightMyRequestResponse, customer: Customer) {
  expect(response.statusCode, response.body).toBe(200);
  expect(response.json().email).toBe(customer.email);
}

function expectSpent(response: LightMyRequestResponse, window: 'hour' | 'day', limit: number) {
  const problem = expectProblem(response, 429) as ReturnType<typeof expectProblem> & {
    window: string;
    limit: number;
    resetsAt: string;
  };
  expect(problem.code).toBe('SHIELD_PII_BUDGET_EXCEEDED');
  expect(problem).toMatchObject({ window, limit });
  expect(problem.detail).toContain(`${limit} different people`);
  expect(problem.detail).toContain(problem.resetsAt);
  const retryAfter = Number(response.headers['retry-after']);
  expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
  return { problem, retryAfter };
}

/** Every event of the given names, as emitted (payload only). */
function recordEvents<E extends EventName>(test: TestApp, names: E[]) {
  const seen: { name: E; payload: BulwarkEvents[E] }[] = [];
  const stops = names.map((name) =>
    test.container.events.on(name, (event) => {
      const { name: _name, at: _at, ...payload } = event;
      seen.push({ name, payload: payload as unknown as BulwarkEvents[E] });
    }),
  );
  return {
    seen,
    stop() {
      for (const stop of stops) stop();
    },
  };
}

async function revealRows(test: TestApp, actorId: string) {
  const result = await sql<{ subjectId: string }>`
    select subject_id from pii_reveals where actor_id = ${actorId}`.execute(test.container.database.db);
  return result.rows.map((row) => row.subjectId).sort();
}

describe('configuration', () => {
  function refusal(env: Record<string, string>): ConfigError {
    try {
      loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('the configuration was accepted');
  }

  it('defaults: support 50/200, admin 20/100, warehouse 100/400, every other role and service keys 0/0', () => {
    expect(loadConfig({}).piiBudgets).toEqual({
      support: { perHour: 50, perDay: 200 },
      admin: { perHour: 20, perDay: 100 },
      warehouse: { perHour: 100, perDay: 400 },
      finance: { perHour: 0, perDay: 0 },
      security: { perHour: 0, perDay: 0 },
      service: { perHour: 0, perDay: 0 },
    });
    for (const role of STAFF_ROLES) expect(PII_BUDGET_ROLES).toContain(role);
    expect(loadConfig({}).piiExportMaxSubjects).toBe(500);
  });

  it('BULWARK_PII_BUDGET_<ROLE> is hour/day; anything else stops the start with one line naming it', () => {
    expect(loadConfig({ BULWARK_PII_BUDGET_SUPPORT: '10/40' }).piiBudgets.support).toEqual({
      perHour: 10,
      perDay: 40,
    });
    expect(loadConfig({ BULWARK_PII_BUDGET_FINANCE: '0/0' }).piiBudgets.finance).toEqual({
      perHour: 0,
      perDay: 0,
    });
    for (const value of ['50', 'off', '200/50', '0/5', '5/0', '-1/5', '1e3/2000', '5/10/20', '50 / 200']) {
      const error = refusal({ BULWARK_PII_BUDGET_SUPPORT: value });
      expect(error.variable, value).toBe('BULWARK_PII_BUDGET_SUPPORT');
      expect(error.message).not.toContain('\n');
      expect(error.message).toMatch(/^BULWARK_PII_BUDGET_SUPPORT: must be people per hour\/per day/);
    }
    expect(refusal({ BULWARK_PII_BUDGET_SERVICE: 'x' }).variable).toBe('BULWARK_PII_BUDGET_SERVICE');
    for (const value of ['0', '5001', 'many']) {
      expect(refusal({ BULWARK_PII_EXPORT_MAX_SUBJECTS: value }).variable).toBe(
        'BULWARK_PII_EXPORT_MAX_SUBJECTS',
      );
    }
  });
});

describe('PII read budgets at the defaults', () => {
  const clock = testClock();
  let test: TestApp;
  let flow: OrderFlow;
  let people: Customer[];
  let support: Member;
  let events: ReturnType<typeof recordEvents<'shield.pii_budget_exceeded' | 'vault.pii_revealed'>>;

  beforeAll(async () => {
    test = await createTestApp({}, { clock });
    flow = new OrderFlow(test);
    await flow.warehouse;
    people = await customers(test, 52);
    support = await staff(test, clock, 'support');
    events = recordEvents(test, ['shield.pii_budget_exceeded', 'vault.pii_revealed']);
  });
  afterAll(async () => {
    events.stop();
    await test.close();
  });

  it('the 51st different person in an hour is refused with 429, why, when it resets, and an event; the first 50 can be revealed again', async () => {
    const first = clock.now().getTime();
    for (const person of people.slice(0, 50)) expectRevealed(await reveal(support, person), person);
    events.seen.length = 0;

    const refused = await reveal(support, people[50] as Customer);
    const { problem, retryAfter } = expectSpent(refused, 'hour', 50);
    expect(problem.detail).toContain('(support)');
    // The window frees a place when the first of the 50 is an hour old.
    expect(new Date(problem.resetsAt).getTime()).toBeGreaterThanOrEqual(first + HOUR * 1000);
    expect(retryAfter).toBeGreaterThan(HOUR - 120);
    expect(retryAfter).toBeLessThanOrEqual(HOUR);
    // The event names who, in which role, which window and what limit: nothing of the person.
    expect(events.seen).toEqual([
      {
        name: 'shield.pii_budget_exceeded',
        payload: { actorId: support.userId, role: 'support', window: 'hour', limit: 50 },
      },
    ]);
    // No plaintext left the vault for the refused one.
    expect(refused.body).not.toContain((people[50] as Customer).email);

    // People already revealed within the hour cost nothing more.
    for (const person of [people[0], people[17], people[49]] as Customer[]) {
      expectRevealed(await reveal(support, person), person);
    }
    expectSpent(await reveal(support, people[51] as Customer), 'hour', 50);
    expect(await revealRows(test, support.userId)).toHaveLength(50);
  });

  it('two staff members have separate budgets, and each role its own size (admin: 20 an hour)', async () => {
    const colleague = await staff(test, clock, 'support');
    expectRevealed(await reveal(colleague, people[50] as Customer), people[50] as Customer);
    expectSpent(await reveal(support, people[50] as Customer), 'hour', 50);

    const admin = await staff(test, clock, 'admin');
    for (const person of people.slice(0, 20)) expectRevealed(await reveal(admin, person), person);
    expectSpent(await reveal(admin, people[20] as Customer), 'hour', 20);
  });

  it('roles without a budget reveal nothing; order views spend the warehouse budget only when they show private text', async () => {
    const shopper = await signUp(test);
    const orderId = await flow.orderIn(shopper.client, 'paid');
    const finance = await staff(test, clock, 'finance');
    const none = expectProblem(await finance.client.get(`/v1/staff/orders/${orderId}`), 403);
    expect(none.code).toBe('SHIELD_PII_BUDGET_NONE');
    expect(JSON.stringify(none)).not.toContain('EU 42');
    // The list shows no private text, so it needs no budget.
    expect((await finance.client.get('/v1/staff/orders')).statusCode).toBe(200);

    const warehouse = await staff(test, clock, 'warehouse');
    const seen = await warehouse.client.get(`/v1/staff/orders/${orderId}`);
    expect(seen.statusCode, seen.body).toBe(200);
    expect(seen.json().items[0].options).toBe('EU 42 / white');
    expect(await revealRows(test, warehouse.userId)).toEqual([shopper.userId]);
    // An order without the shopper's words reveals nobody.
    const created = await shopper.client.post('/v1/orders', {
      items: [
        {
          link: 'https://item.taobao.com/item.htm?id=1234567890',
          title: 'Socks',
          quantity: 1,
          unitPrice: 500,
        },
      ],
      domesticShipping: 0,
    });
    expect(created.statusCode, created.body).toBe(201);
    const other = await staff(test, clock, 'warehouse');
    const viewed = await other.client.get(`/v1/staff/orders/${created.json().id}`);
    expect(viewed.statusCode, viewed.body).toBe(200);
    expect(await revealRows(test, other.userId)).toEqual([]);
  });

  it('the hour window rolls: an hour after the first reveals, new people can be revealed again', async () => {
    clock.advance(HOUR + 1);
    await relogIn(test, clock, support);
    expectRevealed(await reveal(support, people[50] as Customer), people[50] as Customer);
    expectRevealed(await reveal(support, people[51] as Customer), people[51] as Customer);
    // Rows older than a day are dropped; these are an hour old and still count for the day.
    expect(await revealRows(test, support.userId)).toHaveLength(52);
  });
});

describe('PII read budgets over a day, and under concurrency (support 3/7)', () => {
  const clock = testClock();
  let test: TestApp;
  let people: Customer[];
  let support: Member;
  let events: ReturnType<typeof recordEvents<'shield.pii_budget_exceeded'>>;

  beforeAll(async () => {
    test = await createTestApp({ BULWARK_PII_BUDGET_SUPPORT: '3/7' }, { clock });
    people = await customers(test, 20);
    support = await staff(test, clock, 'support');
    events = recordEvents(test, ['shield.pii_budget_exceeded']);
  });
  afterAll(async () => {
    events.stop();
    await test.close();
  });

  it('the day budget holds across hours, re-reveals within the day cost nothing, and the day rolls too', async () => {
    const p = (index: number) => people[index] as Customer;
    const start = clock.now().getTime();
    for (const person of [p(0), p(1), p(2)]) expectRevealed(await reveal(support, person), person);
    expectSpent(await reveal(support, p(3)), 'hour', 3);

    clock.advance(HOUR + 60);
    await relogIn(test, clock, support);
    for (const person of [p(3), p(4), p(5)]) expectRevealed(await reveal(support, person), person);

    clock.advance(HOUR + 60);
    await relogIn(test, clock, support);
    expectRevealed(await reveal(support, p(6)), p(6));
    events.seen.length = 0;
    // One person this hour, but seven today: the day refuses, and says when its first place frees.
    const { problem, retryAfter } = expectSpent(await reveal(support, p(7)), 'day', 7);
    expect(new Date(problem.resetsAt).getTime()).toBeGreaterThanOrEqual(start + 24 * HOUR * 1000);
    expect(retryAfter).toBeGreaterThan(22 * HOUR - 300);
    expect(retryAfter).toBeLessThanOrEqual(22 * HOUR);
    expect(events.seen.map((e) => e.payload)).toEqual([
      { actorId: support.userId, role: 'support', window: 'day', limit: 7 },
    ]);
    // Revealed earlier today: no new place in the day (and this hour has room).
    expectRevealed(await reveal(support, p(3)), p(3));
    expectRevealed(await reveal(support, p(6)), p(6));

    clock.advance(22 * HOUR);
    await relogIn(test, clock, support);
    // The first three are more than a day old now.
    expectRevealed(await reveal(support, p(7)), p(7));
  });

  it('a concurrent burst at the edge never reveals more people than the budget', async () => {
    const member = await staff(test, clock, 'support');
    expectRevealed(await reveal(member, people[0] as Customer), people[0] as Customer);
    expectRevealed(await reveal(member, people[1] as Customer), people[1] as Customer);
    // One place left; twelve different people asked for at once.
    const burst = people.slice(2, 14);
    const answers = await Promise.all(burst.map((person) => reveal(member, person)));
    const ok = answers.filter((a) => a.statusCode === 200);
    expect(ok).toHaveLength(1);
    for (const refused of answers.filter((a) => a.statusCode !== 200)) expectSpent(refused, 'hour', 3);
    expect(await revealRows(test, member.userId)).toHaveLength(3);

    // The same people again, all at once: each of them costs nothing, so all pass.
    const again = await Promise.all(
      [people[0], people[1], people[0], people[1], people[0], people[1]].map((p) =>
        reveal(member, p as Customer),
      ),
    );
    expect(again.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await revealRows(test, member.userId)).toHaveLength(3);
  });
});

describe('two-person bulk export (cap 5, support budget 2/4)', () => {
  const clock = testClock();
  let test: TestApp;
  let requester: Member;
  let approver: Member;
  let other: Member;
  const subjects: { id: string; email: string; fullName: string; phone: string; line1: string }[] = [];
  let crowd: Customer[];
  let events: ReturnType<
    typeof recordEvents<
      | 'shield.pii_export_requested'
      | 'shield.pii_export_self_approval_refused'
      | 'shield.pii_export_approved'
      | 'shield.pii_export_downloaded'
      | 'shield.pii_budget_exceeded'
      | 'vault.pii_revealed'
    >
  >;

  const ask = (member: Member, body: Record<string, unknown>) =>
    member.client.post('/v1/staff/exports', body);
  const approve = (member: Member, id: string) => member.client.post(`/v1/staff/exports/${id}/approve`);
  const download = (member: Member, id: string) => member.client.get(`/v1/staff/exports/${id}/download`);
  const created = (response: LightMyRequestResponse) => {
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: string; status: string; subjectIds: string[]; subjectCount: number };
  };

  beforeAll(async () => {
    test = await createTestApp(
      { BULWARK_PII_EXPORT_MAX_SUBJECTS: '5', BULWARK_PII_BUDGET_SUPPORT: '2/4' },
      { clock },
    );
    for (let n = 0; n < 3; n += 1) {
      const tag = randomBytes(5).toString('hex');
      const fullName = `Eksportowana Osoba-${tag}`;
      const phone = `+4869${[...randomBytes(7)].map((b) => String(b % 10)).join('')}`;
      const shopper = await signUp(test, { fullName, phone, country: 'IS' });
      const line1 = `ul. Eksportowa ${n + 1} ${tag}`;
      const address = await shopper.client.post('/v1/me/addresses', addressBody({ line1 }));
      expect(address.statusCode, address.body).toBe(201);
      subjects.push({ id: shopper.userId, email: shopper.email, fullName, phone, line1 });
    }
    crowd = await customers(test, 6, 'PT');
    requester = await staff(test, clock, 'support');
    approver = await staff(test, clock, 'admin');
    other = await staff(test, clock, 'support');
    events = recordEvents(test, [
      'shield.pii_export_requested',
      'shield.pii_export_self_approval_refused',
      'shield.pii_export_approved',
      'shield.pii_export_downloaded',
      'shield.pii_budget_exceeded',
      'vault.pii_revealed',
    ]);
  });
  afterAll(async () => {
    events.stop();
    await test.close();
  });

  it('request → self-approval refused → a colleague approves → the requester downloads once; the approval replaces the budget', async () => {
    const request = created(
      await ask(requester, { reason: 'the regulator asked for these records', filter: { country: 'IS' } }),
    );
    expect(request).toMatchObject({ status: 'requested', subjectCount: 3 });
    expect([...request.subjectIds].sort()).toEqual(subjects.map((s) => s.id).sort());
    const listed = (await approver.client.get('/v1/staff/exports')).json().items as { id: string }[];
    expect(listed.map((item) => item.id)).toContain(request.id);

    const self = expectProblem(await approve(requester, request.id), 403);
    expect(self.code).toBe('SHIELD_EXPORT_SELF_APPROVAL');
    expect(self.detail).toContain('different staff member');
    expect(events.seen.find((e) => e.name === 'shield.pii_export_self_approval_refused')?.payload).toEqual({
      exportId: request.id,
      actorId: requester.userId,
    });
    expectProblem(await download(requester, request.id), 409);

    const approved = await approve(approver, request.id);
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved', approvedBy: approver.userId });
    expect(expectProblem(await approve(other, request.id), 409).code).toBe('SHIELD_EXPORT_STATE_CONFLICT');
    // Only the requester downloads: not the approver, not a colleague.
    for (const member of [approver, other]) {
      expect(expectProblem(await download(member, request.id), 403).code).toBe('SHIELD_EXPORT_NOT_REQUESTER');
    }

    const mark = events.seen.length;
    const file = await download(requester, request.id);
    expect(file.statusCode, file.body).toBe(200);
    expect(file.headers['content-disposition']).toBe(`attachment; filename="${request.id}.json"`);
    expect(file.headers['cache-control']).toBe('no-store');
    const body = file.json() as {
      items: { id: string; email: string; fullName: string; phone: string; addresses: { line1: string }[] }[];
      unavailable: unknown[];
      approvedBy: string;
    };
    expect(body.approvedBy).toBe(approver.userId);
    expect(body.unavailable).toEqual([]);
    for (const subject of subjects) {
      const item = body.items.find((i) => i.id === subject.id);
      expect(item).toMatchObject({ email: subject.email, fullName: subject.fullName, phone: subject.phone });
      expect(item?.addresses.map((a) => a.line1)).toEqual([subject.line1]);
    }
    // Three people with a budget of two an hour: each revealed through the vault, none refused or counted.
    const during = events.seen.slice(mark);
    const reveals = during.filter((e) => e.name === 'vault.pii_revealed');
    expect(reveals.map((e) => (e.payload as { subjectId: string }).subjectId).sort()).toEqual(
      subjects.map((s) => s.id).sort(),
    );
    for (const { payload } of reveals) {
      expect(payload).toMatchObject({ actorId: requester.userId, actorRole: 'support' });
      expect((payload as { purpose: string }).purpose).toContain(request.id);
    }
    expect(during.filter((e) => e.name === 'shield.pii_budget_exceeded')).toEqual([]);
    expect(await revealRows(test, requester.userId)).toEqual([]);
    expect(during.find((e) => e.name === 'shield.pii_export_downloaded')?.payload).toEqual({
      exportId: request.id,
      requesterId: requester.userId,
      approverId: approver.userId,
      subjects: 3,
      unavailable: 0,
    });

    const again = expectProblem(await download(requester, request.id), 410) as {
      code: string;
      currentStatus?: string;
    };
    expect(again).toMatchObject({ code: 'SHIELD_EXPORT_GONE', currentStatus: 'downloaded' });
    // The budget still binds the requester's own reveals: two new people an hour.
    expectRevealed(await reveal(requester, crowd[0] as Customer), crowd[0] as Customer);
    expectRevealed(await reveal(requester, crowd[1] as Customer), crowd[1] as Customer);
    expectSpent(await reveal(requester, subjects[0] as Customer), 'hour', 2);
  });

  it('a grant the shield did not issue lifts nothing', async () => {
    const principal: StaffPrincipal = {
      kind: 'staff',
      role: 'support',
      userId: requester.userId as UserId,
      sessionId: 'ses_00000000000000000000000000' as SessionId,
      via: 'bearer',
      authenticatedAt: clock.now(),
      enrolmentOnly: false,
    };
    const forged = Object.freeze({ kind: 'pii-export', id: 'pex_00000000000000000000000000' });
    await expect(
      test.container.commerce.customers.reveal(principal, crowd[2]?.id as string, ['email'], REASON, forged),
    ).rejects.toMatchObject({ code: 'SHIELD_PII_BUDGET_EXCEEDED' });
  });

  it('asking, approving and downloading need a recent authentication (step-up)', async () => {
    const member = await staff(test, clock, 'support');
    await backdateAuthentication(test, member.userId, 301, clock.now());
    const stale = await ask(member, {
      reason: 'the regulator asked for these records',
      subjectIds: [subjects[0]?.id],
    });
    expect(expectProblem(stale, 401).code).toBe('IDENTITY_STEP_UP_REQUIRED');
    const request = created(
      await ask(requester, { reason: 'the regulator asked again', subjectIds: [subjects[0]?.id] }),
    );
    expect(expectProblem(await approve(member, request.id), 401).code).toBe('IDENTITY_STEP_UP_REQUIRED');
    // Reading the request needs no step-up: it holds IDs and the reason only.
    expect((await member.client.get(`/v1/staff/exports/${request.id}`)).statusCode).toBe(200);
  });

  it('a request nobody approved within 24 hours, or an approved one not downloaded within 30 minutes, is gone', async () => {
    const stale = created(
      await ask(requester, {
        reason: 'an audit sample of two people',
        subjectIds: [crowd[0]?.id, crowd[1]?.id],
      }),
    );
    const late = created(
      await ask(requester, { reason: 'an audit sample of one person', subjectIds: [crowd[2]?.id] }),
    );
    expect((await approve(approver, late.id)).statusCode).toBe(200);

    clock.advance(31 * 60);
    await relogIn(test, clock, requester, approver, other);
    const missed = expectProblem(await download(requester, late.id), 410) as {
      code: string;
      currentStatus?: string;
    };
    expect(missed).toMatchObject({ code: 'SHIELD_EXPORT_GONE', currentStatus: 'expired' });

    clock.advance(24 * HOUR);
    await relogIn(test, clock, requester, approver, other);
    const expired = expectProblem(await approve(approver, stale.id), 410) as {
      code: string;
      currentStatus?: string;
    };
    expect(expired).toMatchObject({ code: 'SHIELD_EXPORT_GONE', currentStatus: 'expired' });
    expect((await approver.client.get(`/v1/staff/exports/${stale.id}`)).json().status).toBe('expired');
    const open = (await approver.client.get('/v1/staff/exports')).json().items as { id: string }[];
    expect(open.map((item) => item.id)).not.toContain(stale.id);
  });

  it('the size cap holds for lists and filters; unknown people and unclear requests are refused, naming the field', async () => {
    const six = crowd.map((c) => c.id);
    const listed = expectProblem(
      await ask(requester, { reason: 'six people for the audit', subjectIds: six }),
      422,
    ) as {
      code: string;
      maxSubjects?: number;
    };
    expect(listed).toMatchObject({ code: 'SHIELD_EXPORT_TOO_LARGE', maxSubjects: 5 });
    const filtered = expectProblem(
      await ask(requester, { reason: 'everyone in Portugal', filter: { country: 'PT' } }),
      422,
    );
    expect(filtered.code).toBe('SHIELD_EXPORT_TOO_LARGE');
    expect(
      created(await ask(requester, { reason: 'five people for the audit', subjectIds: six.slice(0, 5) }))
        .subjectCount,
    ).toBe(5);

    const staffId = other.userId;
    const unknown = expectProblem(
      await ask(requester, { reason: 'a staff member is not a customer', subjectIds: [six[0], staffId] }),
      422,
    );
    expect(unknown.code).toBe('SHIELD_EXPORT_INVALID');
    expect(unknown.errors?.map((e) => e.field)).toEqual(['body.subjectIds[1]']);
    const nobody = expectProblem(
      await ask(requester, { reason: 'nobody lives here', filter: { country: 'AQ' } }),
      422,
    );
    expect(nobody.errors?.map((e) => e.field)).toEqual(['body.filter.country']);
    for (const body of [
      { reason: 'neither IDs nor a filter' },
      { reason: 'both IDs and a filter', subjectIds: [six[0]], filter: { country: 'PT' } },
    ]) {
      const unclear = expectProblem(await ask(requester, body), 422);
      expect(unclear.code).toBe('SHIELD_EXPORT_INVALID');
      expect(unclear.errors?.map((e) => e.field)).toEqual(['body']);
    }
    expect(
      expectProblem(await ask(requester, { reason: 'short', subjectIds: [six[0]] }), 400).errors?.[0]?.field,
    ).toBe('body.reason');
  });

  it('the export tables and every event hold no personal data', async () => {
    const db = test.container.database.db;
    const tables = JSON.stringify([
      (await sql`select * from pii_exports`.execute(db)).rows,
      (await sql`select * from pii_reveals`.execute(db)).rows,
    ]);
    expect(tables).toContain(subjects[0]?.id);
    const emitted = JSON.stringify(events.seen.filter((e) => e.name !== 'vault.pii_revealed'));
    expect(new Set(events.seen.map((e) => e.name)).size).toBe(6);
    for (const subject of [...subjects, ...crowd]) {
      for (const value of Object.entries(subject)
        .filter(([key]) => key !== 'id')
        .map(([, v]) => v)) {
        expect(tables).not.toContain(value);
        expect(emitted).not.toContain(value);
      }
    }
  });
});

// Several nodes need a shared server database: this block runs in the PostgreSQL pass (PGlite is one
// process, so there is nothing to share).
if (engine === 'postgres') {
  describe('budgets across two nodes on one PostgreSQL database', () => {
    const root = ephemeralRootKey();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-budget-nodes-'));
    let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
    let config: Config;
    const closers: (() => Promise<void>)[] = [];

    async function startNode() {
      const container = await createContainer(config, { rootKey: root, poolSize: 5 });
      await container.migrate();
      const app = await serveCapturingLogs(container);
      await app.ready();
      closers.push(async () => {
        await app.close();
        await container.close();
      });
      return { container, app, anonymous: new Client(app) } as unknown as TestApp;
    }

    beforeAll(async () => {
      database = await createPostgresDatabase();
      config = loadConfig({
        NODE_ENV: 'test',
        BULWARK_DATA_DIR: dataDir,
        DATABASE_URL: database.url,
        BULWARK_ARGON2_MEMORY_KIB: String(19 * 1024),
        BULWARK_ARGON2_TIME_COST: '2',
        BULWARK_PII_BUDGET_SUPPORT: '4/8',
      });
    });
    afterAll(async () => {
      for (const close of closers) await close();
      await database?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('a burst spread over both nodes reveals no more people than the budget', async () => {
      const clock = testClock();
      const a = await startNode();
      const b = await startNode();
      const people = await customers(a, 16);
      const member = await staff(a, clock, 'support');
      const onB = new Client(b.app, member.client.headers);
      expect((await onB.get('/v1/me')).statusCode).toBe(200);
      const answers = await Promise.all(
        people.map((person, index) =>
          (index % 2 === 0 ? member.client : onB).post(`/v1/staff/customers/${person.id}/reveal`, {
            fields: ['email'],
            reason: REASON,
          }),
        ),
      );
      expect(answers.filter((r) => r.statusCode === 200)).toHaveLength(4);
      for (const refused of answers.filter((r) => r.statusCode !== 200)) expectSpent(refused, 'hour', 4);
      expect(await revealRows(a, member.userId)).toHaveLength(4);
    });
  });
}
