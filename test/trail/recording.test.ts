import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrailEntry } from '../../src/modules/trail/index.ts';
import { addressBody } from '../helpers/commerce-flows.ts';
import {
  createTestApp,
  expectProblem,
  type Shopper,
  type StaffMember,
  signUp,
  staffMember,
  type TestApp,
} from '../helpers/test-app.ts';
import { engine } from '../helpers/test-database.ts';

/*
 * What the trail records, end to end through the HTTP API: staff reveals (who read whose which fields and
 * why), data returned to shoppers, authentication events, staff actions, and the trail's own reads; and
 * the scope question, which must name exactly the subjects and fields touched, no more and no fewer.
 */
describe(`the trail records sensitive reads and privileged actions (${engine})`, () => {
  let test: TestApp;
  let anna: Shopper;
  let bert: Shopper;
  let support: StaffMember;
  let security: StaffMember;
  let started: Date;
  const REASON = 'customer called about parcel 42';

  const all = async () =>
    (await test.container.database.db
      .selectFrom('trailEntries')
      .select(['seq', 'body'])
      .orderBy('seq')
      .execute()) as { seq: number; body: string }[];
  const search = async (member: StaffMember, query: string) => {
    const response = await member.client.get(`/v1/security/trail?${query}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as { items: TrailEntry[]; nextCursor: string | null };
  };

  beforeAll(async () => {
    test = await createTestApp();
    started = new Date(Date.now() - 1000);
    anna = await signUp(test, { fullName: 'Anna Kowalska', phone: '+48601234567' });
    bert = await signUp(test, { fullName: 'Bert Lindqvist', phone: undefined });
    support = await staffMember(test, 'support');
    security = await staffMember(test, 'security');
    expect((await anna.client.post('/v1/me/addresses', addressBody())).statusCode).toBe(201);
  });
  afterAll(async () => {
    await test.close();
  });

  it('a staff reveal records actor, session, network, subject, field names, reason and request ID, never values', async () => {
    const revealed = await support.client.post(`/v1/staff/customers/${anna.userId}/reveal`, {
      fields: ['email', 'phone'],
      reason: REASON,
    });
    expect(revealed.statusCode, revealed.body).toBe(200);
    const { items } = await search(security, `actor=${support.userId}&action=pii.revealed`);
    expect(items).toHaveLength(1);
    const [entry] = items as [TrailEntry];
    expect(entry).toMatchObject({
      action: 'pii.revealed',
      actor: { kind: 'staff', id: support.userId, role: 'support', network: '127.0.0.0/24' },
      target: { type: 'user', id: anna.userId },
      subjects: [anna.userId],
      fields: ['email', 'phone'],
      purpose: REASON,
      result: 'success',
      requestId: revealed.headers['x-request-id'],
    });
    expect(entry.actor.session).toMatch(/^ses_/);
    const everything = JSON.stringify(await all());
    for (const value of [anna.email, '+48601234567', '601234567', 'Kowalska', 'Marszałkowska', bert.email]) {
      expect(everything).not.toContain(value);
    }
  });

  it('authentication events: failed and successful logins, second factor, refresh reuse, revocation', async () => {
    const failed = await test.anonymous.post('/v1/auth/token', {
      email: anna.email,
      password: 'not the password at all',
    });
    expect(failed.statusCode).toBe(401);
    const login = await test.anonymous.post('/v1/auth/token', { email: anna.email, password: anna.password });
    expect(login.statusCode).toBe(200);
    const { refreshToken } = login.json() as { refreshToken: string };
    expect((await test.anonymous.post('/v1/auth/refresh', { refreshToken })).statusCode).toBe(200);
    const reused = await test.anonymous.post('/v1/auth/refresh', { refreshToken });
    expectProblem(reused, 401);
    const sessions = (await anna.client.get('/v1/me/sessions')).json() as {
      items?: { id: string; current?: boolean }[];
    };
    const other = (sessions.items ?? (sessions as unknown as { id: string; current?: boolean }[])).find(
      (s) => !s.current,
    );
    if (other) expect((await anna.client.delete(`/v1/me/sessions/${other.id}`)).statusCode).toBeLessThan(300);

    const actions = (await all()).map((row) => JSON.parse(row.body) as unknown[]);
    const byRequest = (id: unknown) => actions.filter((a) => a[15] === id).map((a) => [a[8], a[14], a[4]]);
    expect(byRequest(failed.headers['x-request-id'])).toEqual([['auth.login_failed', 'denied', null]]);
    expect(byRequest(login.headers['x-request-id'])).toEqual([
      ['auth.login_succeeded', 'success', anna.userId],
      ['auth.session_created', 'success', anna.userId],
    ]);
    expect(byRequest(reused.headers['x-request-id'])).toEqual([['auth.refresh_reused', 'denied', null]]);
    const staffLogins = actions.filter((a) => a[8] === 'auth.login_succeeded' && a[4] === support.userId);
    expect(staffLogins).toHaveLength(1);
    expect(staffLogins[0]?.[5]).toBe('support');
    if (other)
      expect(actions.some((a) => a[8] === 'auth.session_revoked' && a[4] === anna.userId)).toBe(true);
  });

  it('every staff call is recorded, refused ones too', async () => {
    const view = await support.client.get(`/v1/staff/customers/${bert.userId}`);
    expect(view.statusCode).toBe(200);
    const refused = await support.client.get('/v1/security/trail');
    expectProblem(refused, 403);
    const { items } = await search(security, `actor=${support.userId}`);
    const byRequest = (id: unknown) => items.find((entry) => entry.requestId === id);
    expect(byRequest(view.headers['x-request-id'])).toMatchObject({
      action: 'staff.action_performed',
      subjects: [bert.userId],
      purpose: 'GET /v1/staff/customers/:id',
    });
    expect(byRequest(refused.headers['x-request-id'])).toMatchObject({
      action: 'staff.action_refused',
      result: 'denied',
      actor: { id: support.userId, role: 'support' },
      purpose: 'GET /v1/security/trail IDENTITY_FORBIDDEN',
    });
    // A shopper knocking on a staff door is recorded too.
    const knock = await anna.client.get(`/v1/staff/customers/${bert.userId}`);
    expectProblem(knock, 403);
    const { items: annas } = await search(security, `actor=${anna.userId}&action=auth.access_refused`);
    expect(annas[0]).toMatchObject({ requestId: knock.headers['x-request-id'], result: 'denied' });
  });

  it('searching the trail is itself an entry', async () => {
    const before = (await all()).length;
    const page = await search(security, `subject=${anna.userId}&limit=2`);
    const rows = await all();
    expect(rows.length).toBe(before + 2);
    const searched = rows
      .map((row) => JSON.parse(row.body) as unknown[])
      .filter((a) => a[8] === 'trail.searched');
    expect(searched.at(-1)).toMatchObject({
      3: 'staff',
      4: security.userId,
      11: [anna.userId],
      13: `subject=${anna.userId}`,
    });
    // Cursor pages: newest first, and the next page continues below the last sequence number.
    expect(page.items).toHaveLength(2);
    expect(page.nextCursor).toBe(String(page.items[1]?.seq));
    const next = await search(security, `subject=${anna.userId}&limit=2&cursor=${page.nextCursor}`);
    expect(next.items[0]?.seq).toBeLessThan(Number(page.nextCursor));
  });

  it('bad search input is a problem+json 400 naming the parameter; others may not search', async () => {
    for (const query of [
      'limit=0',
      'limit=1000',
      'action=pii.stolen',
      'actor=bob',
      'from=yesterday',
      'cursor=-1',
      'colour=red',
    ]) {
      const problem = expectProblem(await security.client.get(`/v1/security/trail?${query}`), 400);
      expect(problem.code).toBe('PLATFORM_VALIDATION_FAILED');
    }
    const window = expectProblem(
      await security.client.get('/v1/security/trail?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z'),
      400,
    );
    expect(window).toMatchObject({ code: 'TRAIL_INVALID_QUERY', errors: [{ field: 'query.to' }] });
    expectProblem(await anna.client.get('/v1/security/trail'), 403);
    expectProblem(await test.anonymous.get('/v1/security/trail'), 401);
    const tooWide = expectProblem(
      await security.client.get(
        `/v1/security/trail/scope?principals=${support.userId}&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`,
      ),
      422,
    );
    expect(tooWide.code).toBe('TRAIL_WINDOW_TOO_LARGE');
  });

  it('scope names exactly the subjects and fields touched, through reveals and shopper endpoints', async () => {
    // A fresh window with a known set of reads.
    const from = new Date();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const suspect = await staffMember(test, 'support');
    for (const [who, fields] of [
      [anna, ['fullName']],
      [bert, ['email', 'phone']],
      [anna, ['addresses']],
    ] as const) {
      const response = await suspect.client.post(`/v1/staff/customers/${who.userId}/reveal`, {
        fields,
        reason: REASON,
      });
      expect(response.statusCode, response.body).toBe(200);
    }
    // Masked views read nobody's clear data: not in scope.
    expect((await suspect.client.get(`/v1/staff/customers/${anna.userId}`)).statusCode).toBe(200);
    // The shopper's own views: Bert's profile (no phone on file) and his empty address book.
    expect((await bert.client.get('/v1/me')).statusCode).toBe(200);
    expect((await bert.client.get('/v1/me/addresses')).statusCode).toBe(200);
    const to = new Date(Date.now() + 1000);

    const [address] = (await anna.client.get('/v1/me/addresses')).json().items as { id: string }[];
    const addressFields = ['city', 'line1', 'phone', 'postalCode', 'recipientName'].map(
      (f) => `${address?.id}.${f}`,
    );
    const scope = await security.client.get(
      `/v1/security/trail/scope?principals=${suspect.userId},${bert.userId}&from=${from.toISOString()}&to=${to.toISOString()}`,
    );
    expect(scope.statusCode, scope.body).toBe(200);
    const body = scope.json() as {
      subjects: { subjectId: string; fields: string[]; evidence: number[] }[];
      entries: TrailEntry[];
    };
    const expected = [
      // Bert has no phone: revealing it revealed nothing. His own profile returned his e-mail and name.
      { subjectId: bert.userId, fields: ['email', 'fullName'] },
      { subjectId: anna.userId, fields: ['fullName', ...addressFields].sort() },
    ].sort((a, b) => a.subjectId.localeCompare(b.subjectId));
    expect(body.subjects.map(({ subjectId, fields }) => ({ subjectId, fields }))).toEqual(expected);
    // The evidence is the entries themselves.
    const evidence = new Set(body.subjects.flatMap((s) => s.evidence));
    expect(body.entries.map((e) => e.seq).sort()).toEqual([...evidence].sort());
    expect(body.entries.every((e) => [suspect.userId, bert.userId].includes(e.actor.id as string))).toBe(
      true,
    );
    expect(body.entries.filter((e) => e.action === 'pii.revealed')).toHaveLength(3);
    expect(body.entries.filter((e) => e.action === 'pii.returned').map((e) => e.purpose)).toEqual([
      'GET /v1/me',
    ]);

    // The same question from the service (and the CLI), and a window before the reads: nothing.
    const direct = await test.container.trail.scope(
      { kind: 'system', purpose: 'test' },
      [suspect.userId],
      from,
      to,
    );
    expect(direct.subjects.map((s) => s.subjectId).sort()).toEqual([anna.userId, bert.userId].sort());
    const earlier = await test.container.trail.scope(
      { kind: 'system', purpose: 'test' },
      [suspect.userId],
      started,
      from,
    );
    expect(earlier.subjects).toEqual([]);
    // Asking was recorded.
    const scoped = (await all())
      .map((row) => JSON.parse(row.body) as unknown[])
      .filter((a) => a[8] === 'trail.scoped');
    expect(scoped.some((a) => a[4] === security.userId)).toBe(true);
  });

  it('a two-person export: asked, approved and downloaded, and each person revealed, all recorded', async () => {
    const approver = await staffMember(test, 'admin');
    const asked = await support.client.post('/v1/staff/exports', {
      reason: 'the regulator asked for these two records',
      subjectIds: [anna.userId, bert.userId],
      fields: ['email'],
    });
    expect(asked.statusCode, asked.body).toBe(201);
    const exportId = (asked.json() as { id: string }).id;
    expect((await approver.client.post(`/v1/staff/exports/${exportId}/approve`)).statusCode).toBe(200);
    const downloaded = await support.client.get(`/v1/staff/exports/${exportId}/download`);
    expect(downloaded.statusCode, downloaded.body).toBe(200);
    const entries = (await all()).map((row) => JSON.parse(row.body) as unknown[]);
    const about = entries.filter((a) => a[10] === exportId).map((a) => [a[8], a[4]]);
    expect(about).toEqual([
      ['export.requested', support.userId],
      ['export.approved', approver.userId],
      ['export.downloaded', support.userId],
    ]);
    const reveals = entries.filter(
      (a) => a[8] === 'pii.revealed' && a[15] === downloaded.headers['x-request-id'],
    );
    expect(reveals.map((a) => [a[4], (a[11] as string[])[0], a[12]]).sort()).toEqual(
      [
        [support.userId, anna.userId, ['email']],
        [support.userId, bert.userId, ['email']],
      ].sort(),
    );
  });

  it('containment actions are recorded through the API', async () => {
    const head = await test.container.trail.recordContainment(
      { kind: 'system', purpose: 'watch' },
      {
        kind: 'session.revoke',
        target: { type: 'session', id: 'ses_0000000000000000000000000x' },
        reason: 'impossible travel',
        subjects: [anna.userId],
      },
    );
    const { items } = await search(security, 'action=containment.applied');
    expect(items[0]).toMatchObject({
      seq: head.seq,
      actor: { kind: 'system', id: 'system:watch' },
      subjects: [anna.userId],
      purpose: 'session.revoke: impossible travel',
    });
  });

  it('a configuration change is recorded at start, once', async () => {
    const { trail } = test.container;
    expect(await trail.recordConfiguration(test.config)).toBe(true);
    expect(await trail.recordConfiguration(test.config)).toBe(false);
    expect(await trail.recordConfiguration({ ...test.config, trailCheckpointEvery: 7 })).toBe(true);
    const { items } = await search(security, 'action=config.changed');
    expect(items).toHaveLength(2);
    expect(items[0]?.purpose).toMatch(/^configuration changed since entry \d+$/);
  });

  it('after all of it the trail verifies', async () => {
    await test.container.trail.checkpoint();
    const report = await test.container.trail.verify();
    expect(report.problem).toBeNull();
    expect(report.entries).toBe((await all()).length);
  });
});
