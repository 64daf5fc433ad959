import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backdateAuthentication,
  createTestApp,
  expectProblem,
  type Shopper,
  type StaffMember,
  signUp,
  staffMember,
  type TestApp,
} from '../helpers/test-app.ts';
import { asSuperuser } from '../trail/helpers.ts';
import { alertOf, alertsSeen } from './helpers.ts';

/*
 * Privileged anomalies and the trail's own alarm, driven through HTTP (and, for the trail, by a database
 * superuser editing an entry): role changes, bulk reveals outside working hours, a self-approved export,
 * and a trail that no longer verifies.
 */

const REASON = 'the customer asked where the parcel is';
const hh = (hour: number) => String(hour % 24).padStart(2, '0');

describe('privileged anomalies (one instance)', () => {
  let test: TestApp;
  let security: StaffMember;
  let admin: StaffMember;
  let customers: Shopper[];

  beforeAll(async () => {
    // Working hours that start two hours from now: the whole test runs outside them.
    const hour = new Date().getUTCHours();
    test = await createTestApp({
      BULWARK_WATCH_CONTAIN: 'true',
      BULWARK_WATCH_OFF_HOURS_REVEALS: '4',
      BULWARK_WATCH_WORK_HOURS: `${hh(hour + 2)}-${hh(hour + 4)}`,
      BULWARK_WATCH_TIME_ZONE: 'UTC',
      BULWARK_PII_BUDGET_SUPPORT: '50/100',
    });
    security = await staffMember(test, 'security');
    admin = await staffMember(test, 'admin');
    customers = [];
    for (let i = 0; i < 5; i += 1) customers.push(await signUp(test, { country: 'IS' }));
  });
  afterAll(async () => {
    await test?.close();
  });

  it('a role change by an admin ends the member’s sessions, is recorded with its reason, and raises an alert', async () => {
    const member = await staffMember(test, 'support');
    const changed = await admin.client.put(`/v1/admin/staff/${member.userId}/role`, {
      role: 'finance',
      reason: 'moved to the finance team',
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toEqual({ id: member.userId, role: 'finance', previousRole: 'support' });
    expect(expectProblem(await member.client.get('/v1/me'), 401).code).toBe('IDENTITY_UNAUTHENTICATED');

    const trail = await security.client.get('/v1/security/trail?action=role.changed&limit=10');
    expect(trail.statusCode, trail.body).toBe(200);
    const entry = (
      trail.json().items as { actor: { id: string }; target: { id: string }; purpose: string }[]
    ).find((e) => e.target.id === member.userId);
    expect(entry?.actor.id).toBe(admin.userId);
    expect(entry?.purpose).toContain('support -> finance: moved to the finance team');

    const alert = await alertOf(test, security, 'privileged.role_changed');
    expect(alert.principals).toEqual([admin.userId, member.userId]);
    expect(alert.evidence).toMatchObject({ from: 'support', to: 'finance' });
    expect(alert.containments).toEqual([]);
  });

  it('role changes are refused for one’s own account, for non-admins, without a fresh login, and for shoppers', async () => {
    const member = await staffMember(test, 'warehouse');
    const body = { role: 'admin', reason: 'promotion' };
    const own = expectProblem(await admin.client.put(`/v1/admin/staff/${admin.userId}/role`, body), 409);
    expect(own.code).toBe('IDENTITY_OWN_ROLE');
    expectProblem(await security.client.put(`/v1/admin/staff/${member.userId}/role`, body), 403);
    const shopper = customers[0] as Shopper;
    const notStaff = expectProblem(
      await admin.client.put(`/v1/admin/staff/${shopper.userId}/role`, body),
      404,
    );
    expect(notStaff.code).toBe('IDENTITY_STAFF_NOT_FOUND');
    const badRole = await admin.client.put(`/v1/admin/staff/${member.userId}/role`, {
      role: 'owner',
      reason: 'promotion',
    });
    expectProblem(badRole, 400);
    const stale = await staffMember(test, 'admin');
    await backdateAuthentication(test, stale.userId, 3_600);
    const late = expectProblem(await stale.client.put(`/v1/admin/staff/${member.userId}/role`, body), 401);
    expect(late.code).toBe('IDENTITY_STEP_UP_REQUIRED');
    // Nothing changed: the member still works as warehouse staff.
    expect((await member.client.get('/v1/me')).json().role).toBe('warehouse');
  });

  it('bulk reveals outside working hours demand a step-up of the staff member', async () => {
    const support = await staffMember(test, 'support');
    const reveal = (customer: Shopper) =>
      support.client.post(`/v1/staff/customers/${customer.userId}/reveal`, {
        fields: ['email'],
        reason: REASON,
      });
    for (const customer of customers.slice(0, 4)) {
      const answer = await reveal(customer);
      expect(answer.statusCode, answer.body).toBe(200);
    }
    await test.container.watch.settled();
    const alert = await alertOf(test, security, 'privileged.off_hours_reveals');
    expect(alert.severity).toBe('high');
    expect(alert.principals).toEqual([support.userId]);
    expect(alert.evidence).toMatchObject({ people: 4, threshold: 4 });
    expect(alert.containments.map((c) => [c.kind, c.target.id])).toEqual([['user.step_up', support.userId]]);
    expect(expectProblem(await reveal(customers[4] as Shopper), 401).code).toBe('IDENTITY_STEP_UP_REQUIRED');
  });

  it('a staff member approving their own bulk export raises an alert naming them', async () => {
    const requester = await staffMember(test, 'support');
    const asked = await requester.client.post('/v1/staff/exports', {
      reason: 'the regulator asked for these records',
      filter: { country: 'IS' },
    });
    expect(asked.statusCode, asked.body).toBe(201);
    const id = asked.json().id as string;
    const self = expectProblem(await requester.client.post(`/v1/staff/exports/${id}/approve`), 403);
    expect(self.code).toBe('SHIELD_EXPORT_SELF_APPROVAL');
    const alert = await alertOf(test, security, 'privileged.self_approval');
    expect(alert.principals).toEqual([requester.userId]);
    expect(alert.evidence).toMatchObject({ exportId: id });
  });
});

describe('the trail’s own alarm (one instance)', () => {
  let test: TestApp;
  let security: StaffMember;

  beforeAll(async () => {
    test = await createTestApp({ BULWARK_WATCH_CONTAIN: 'true' });
    security = await staffMember(test, 'security');
  });
  afterAll(async () => {
    await test?.close();
  });

  it('an entry edited behind the application’s back fails verification and raises a critical alert', async () => {
    await signUp(test);
    expect((await test.container.trail.verify()).ok).toBe(true);
    expect((await alertsSeen(test, security)).map((a) => a.rule)).not.toContain(
      'infrastructure.trail_verification_failed',
    );
    await asSuperuser(test, [
      `update trail_entries set body = replace(body, 'auth.registered', 'auth.logged_out'), hash = hash
       where seq = (select min(seq) from trail_entries where action = 'auth.registered')`,
    ]);
    const report = await test.container.trail.verify();
    expect(report.ok).toBe(false);
    const alert = await alertOf(test, security, 'infrastructure.trail_verification_failed');
    expect(alert.severity).toBe('critical');
    expect(alert.evidence).toMatchObject({ firstBadSeq: report.problem?.seq });
  });
});
