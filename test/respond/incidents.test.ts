import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  expectProblem,
  type Shopper,
  type StaffMember,
  signUp,
  staffMember,
  type TestApp,
} from '../helpers/test-app.ts';

/*
 * Incidents (DESIGN §6, respond): a high-severity alert opens one by itself with the alert and its
 * containment on the timeline; related alerts join it; security staff move it through the NIST phases,
 * assign and annotate it, each step recorded with who and when.
 */

const REASON = 'the customer called about a missing parcel';

describe('incidents (one instance)', () => {
  let test: TestApp;
  let security: StaffMember;
  let customers: Shopper[];

  beforeAll(async () => {
    test = await createTestApp({
      BULWARK_WATCH_CONTAIN: 'true',
      BULWARK_PII_BUDGET_SUPPORT: '3/20',
    });
    security = await staffMember(test, 'security');
    customers = [];
    for (let i = 0; i < 5; i += 1) customers.push(await signUp(test));
  });
  afterAll(async () => {
    await test?.close();
  });

  const settled = async () => {
    await test.container.watch.settled();
    await test.container.respond.settled();
  };

  it('a stolen support token reading customers opens an incident by itself, with the alert and the containment on its timeline', async () => {
    const support = await staffMember(test, 'support');
    for (const customer of customers) {
      const answer = await support.client.post(`/v1/staff/customers/${customer.userId}/reveal`, {
        fields: ['email'],
        reason: REASON,
      });
      if (answer.statusCode === 401) break;
    }
    await settled();
    const list = await security.client.get('/v1/security/incidents');
    expect(list.statusCode, list.body).toBe(200);
    const incidents = list.json().items as { id: string; principals: string[]; state: string }[];
    const incident = incidents.find((i) => i.principals.includes(support.userId));
    expect(incident).toMatchObject({ state: 'detected' });
    const detail = await security.client.get(`/v1/security/incidents/${incident?.id}`);
    expect(detail.statusCode, detail.body).toBe(200);
    const body = detail.json() as {
      severity: string;
      openedBy: string;
      alerts: string[];
      timeline: { kind: string; actorId: string; text: string }[];
    };
    expect(body).toMatchObject({ severity: 'critical', openedBy: 'watch' });
    expect(body.alerts).toHaveLength(1);
    expect(body.timeline.map((t) => t.kind)).toEqual(['opened', 'alert', 'containment', 'scope']);
    expect(body.timeline[1]?.text).toContain('exfiltration.budget_refused');
    expect(body.timeline[2]?.text).toContain(`user.sessions_revoke on user ${support.userId}`);
    // IDs, rules and counts only.
    for (const customer of customers) expect(detail.body).not.toContain(customer.email);

    // The scope: exactly the three people whose e-mail the token was shown before its budget stopped it.
    const revealed = customers
      .slice(0, 3)
      .map((c) => c.userId)
      .sort();
    expect(detail.json().scope).toMatchObject({
      principals: [support.userId],
      people: 3,
      byField: { email: 3 },
      byCategory: { contact: 3 },
    });
    const country = (await customers[0]?.client.get('/v1/me'))?.json().country as string;
    expect(detail.json().scope.byCountry).toEqual({ [country]: 3 });
    const subjects = await security.client.get(`/v1/security/incidents/${incident?.id}/subjects`);
    expect(subjects.statusCode, subjects.body).toBe(200);
    expect(subjects.json().items.map((s: { subjectId: string }) => s.subjectId)).toEqual(revealed);
    for (const item of subjects.json().items as { fields: string[]; evidence: number[] }[]) {
      expect(item.fields).toEqual(['email']);
      expect(item.evidence.length).toBeGreaterThan(0);
    }

    // A second suspect found later joins the scope when it is recomputed.
    const accomplice = await staffMember(test, 'support');
    const shown = await accomplice.client.post(`/v1/staff/customers/${customers[4]?.userId}/reveal`, {
      fields: ['phone', 'fullName'],
      reason: REASON,
    });
    expect(shown.statusCode, shown.body).toBe(200);
    const wider = await security.client.post(`/v1/security/incidents/${incident?.id}/scope`, {
      principals: [support.userId, accomplice.userId],
    });
    expect(wider.statusCode, wider.body).toBe(200);
    expect(wider.json()).toMatchObject({
      people: 4,
      byField: { email: 3, phone: 1, fullName: 1 },
      byCategory: { contact: 4, identity: 1 },
    });
    const after = (await security.client.get(`/v1/security/incidents/${incident?.id}`)).json();
    expect(after.principals).toContain(accomplice.userId);
    expect(after.timeline.filter((t: { kind: string }) => t.kind === 'scope')).toHaveLength(2);
  });

  it('the same alert announced twice (two nodes) files it once', async () => {
    const [first] = (await security.client.get('/v1/security/incidents')).json().items as {
      alerts: string[];
    }[];
    const alertId = first?.alerts[0] as string;
    expect(await test.container.respond.incidents.fromAlert(alertId)).toBeNull();
    const again = (await security.client.get('/v1/security/incidents')).json().items as {
      alerts: string[];
    }[];
    expect(again.flatMap((i) => i.alerts).filter((a) => a === alertId)).toHaveLength(1);
  });

  it('security staff open one by hand, move it forward, assign and annotate it; every step is on the timeline', async () => {
    const opened = await security.client.post('/v1/security/incidents', {
      title: 'Customer reports a phishing mail quoting an order',
      severity: 'medium',
      note: 'reported through the help desk',
    });
    expect(opened.statusCode, opened.body).toBe(201);
    const id = opened.json().id as string;
    expect(opened.json()).toMatchObject({ state: 'detected', openedBy: security.userId, severity: 'medium' });

    const moved = await security.client.post(`/v1/security/incidents/${id}/state`, {
      state: 'triaged',
      note: 'the mail quotes a real order number',
    });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json().state).toBe('triaged');
    const back = expectProblem(
      await security.client.post(`/v1/security/incidents/${id}/state`, { state: 'detected', note: 'undo' }),
      409,
    );
    expect(back.code).toBe('RESPOND_STATE_CONFLICT');
    expect(back.detail).toContain('contained, eradicated, recovered, closed');

    const owner = await staffMember(test, 'security');
    const assigned = await security.client.post(`/v1/security/incidents/${id}/assign`, {
      ownerId: owner.userId,
    });
    expect(assigned.json().ownerId).toBe(owner.userId);
    const noted = await security.client.post(`/v1/security/incidents/${id}/notes`, {
      text: 'asked the customer for the headers',
    });
    expect(noted.statusCode, noted.body).toBe(204);
    expect(
      (
        await security.client.post(`/v1/security/incidents/${id}/state`, {
          state: 'closed',
          note: 'false alarm',
        })
      ).statusCode,
    ).toBe(200);
    const reopened = await security.client.post(`/v1/security/incidents/${id}/state`, {
      state: 'triaged',
      note: 'a second customer got the same mail',
    });
    expect(reopened.json().state).toBe('triaged');

    const timeline = (await security.client.get(`/v1/security/incidents/${id}`)).json().timeline as {
      kind: string;
      actorId: string;
      text: string;
    }[];
    expect(timeline.map((t) => [t.kind, t.actorId])).toEqual([
      ['opened', security.userId],
      ['state', security.userId],
      ['assigned', security.userId],
      ['note', security.userId],
      ['state', security.userId],
      ['state', security.userId],
    ]);
    expect(timeline[1]?.text).toBe('detected -> triaged: the mail quotes a real order number');
    expect(
      (await security.client.get('/v1/security/incidents?state=triaged'))
        .json()
        .items.map((i: { id: string }) => i.id),
    ).toContain(id);
  });

  it('only security staff read incidents; unknown IDs are 404; bad input is a 400 naming the field', async () => {
    const support = await staffMember(test, 'support');
    expectProblem(await support.client.get('/v1/security/incidents'), 403);
    expectProblem(
      await support.client.post('/v1/security/incidents', { title: 'cover my tracks', severity: 'low' }),
      403,
    );
    const missing = `inc_${'0'.repeat(26)}`;
    expect(expectProblem(await security.client.get(`/v1/security/incidents/${missing}`), 404).code).toBe(
      'RESPOND_INCIDENT_NOT_FOUND',
    );
    expectProblem(await security.client.get('/v1/security/incidents/not-an-id'), 400);
    const bad = expectProblem(
      await security.client.post('/v1/security/incidents', { title: 'x', severity: 'apocalyptic' }),
      400,
    );
    expect(JSON.stringify(bad)).toMatch(/body\.(title|severity)/);
  });
});
