import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/*
 * Playbooks as data (DESIGN §6): started on an incident, each step run by Bulwark (containment, scope,
 * trail verification, key rotation, the kill switch) or marked by a person, every outcome kept with who
 * and when, on the step and on the incident's timeline.
 */

interface Step {
  id: string;
  status: string;
  actorId: string | null;
  outcome: string | null;
}

describe('playbooks', () => {
  let test: TestApp;
  let security: StaffMember;

  beforeAll(async () => {
    test = await createTestApp({ BULWARK_WATCH_CONTAIN: 'true', BULWARK_PII_BUDGET_SUPPORT: '2/20' });
    security = await staffMember(test, 'security');
  });
  afterAll(async () => {
    await test?.close();
  });

  const stepsOf = async (incidentId: string, playbook: string): Promise<Step[]> => {
    await test.container.respond.settled();
    const runs = (await security.client.get(`/v1/security/incidents/${incidentId}/playbooks`)).json()
      .items as {
      playbook: string;
      steps: Step[];
    }[];
    return runs.find((r) => r.playbook === playbook)?.steps ?? [];
  };
  const act = (incidentId: string, playbook: string, step: string, body: Record<string, unknown>) =>
    security.client.post(`/v1/security/incidents/${incidentId}/playbooks/${playbook}/steps/${step}`, body);
  const openIncident = async (title: string, principals: string[] = []) => {
    const opened = await security.client.post('/v1/security/incidents', {
      title,
      severity: 'high',
      principals,
    });
    expect(opened.statusCode, opened.body).toBe(201);
    return opened.json().id as string;
  };

  it('lists every playbook the issue asks for, each step an action or a person’s task', async () => {
    const answer = await security.client.get('/v1/security/playbooks');
    expect(answer.statusCode, answer.body).toBe(200);
    const items = answer.json().items as { id: string; steps: { action?: string; drill?: string }[] }[];
    expect(items.map((p) => p.id)).toEqual([
      'stolen-token',
      'api-enumeration',
      'credential-stuffing',
      'insider-bulk-read',
      'leaked-dump',
      'master-key-compromise',
      'kill-switch',
    ]);
    expect(items.find((p) => p.id === 'kill-switch')?.steps.map((s) => s.action)).toEqual([
      'revoke_all_sessions',
      'force_password_resets',
      'freeze_routes',
    ]);
    expect(items.find((p) => p.id === 'master-key-compromise')?.steps[0]?.action).toBe('rotate_master_key');
  });

  it('stolen token: contain, scope, verify the trail, and a person’s own steps, each with who and when', async () => {
    const support = await staffMember(test, 'support');
    const customers: Shopper[] = [await signUp(test), await signUp(test)];
    for (const customer of customers) {
      const shown = await support.client.post(`/v1/staff/customers/${customer.userId}/reveal`, {
        fields: ['email'],
        reason: 'the customer called about a missing parcel',
      });
      expect(shown.statusCode, shown.body).toBe(200);
    }
    const incidentId = await openIncident('Support token seen on a paste site', [support.userId]);
    const started = await security.client.post(`/v1/security/incidents/${incidentId}/playbooks`, {
      playbook: 'stolen-token',
    });
    expect(started.statusCode, started.body).toBe(201);
    expect(started.json().steps.map((s: Step) => s.status)).toEqual(Array(6).fill('pending'));

    expect((await act(incidentId, 'stolen-token', 'revoke', { outcome: 'run' })).statusCode).toBe(202);
    await test.container.respond.settled();
    expect((await support.client.get('/v1/me')).statusCode).toBe(401);
    expect((await act(incidentId, 'stolen-token', 'scope', { outcome: 'run' })).statusCode).toBe(202);
    await test.container.respond.settled();
    expect((await act(incidentId, 'stolen-token', 'verify-trail', { outcome: 'run' })).statusCode).toBe(202);
    await test.container.respond.settled();
    const manual = await act(incidentId, 'stolen-token', 'origin', {
      outcome: 'done',
      note: 'phished through a fake courier page; the page is taken down',
    });
    expect(manual.statusCode, manual.body).toBe(202);
    expect(
      expectProblem(await act(incidentId, 'stolen-token', 'origin', { outcome: 'done', note: 'again' }), 409)
        .code,
    ).toBe('RESPOND_STEP_CONFLICT');
    expect(
      expectProblem(await act(incidentId, 'stolen-token', 'notices', { outcome: 'done', note: 'sent' }), 422)
        .code,
    ).toBe('RESPOND_STEP_MISMATCH');
    expect(expectProblem(await act(incidentId, 'stolen-token', 'origin', { outcome: 'run' }), 422).code).toBe(
      'RESPOND_STEP_MISMATCH',
    );
    expect(
      (await act(incidentId, 'stolen-token', 'block', { outcome: 'skipped', note: 'no network recorded' }))
        .statusCode,
    ).toBe(202);

    const steps = await stepsOf(incidentId, 'stolen-token');
    const byId = new Map(steps.map((s) => [s.id, s]));
    expect(byId.get('revoke')).toMatchObject({ status: 'done', actorId: security.userId });
    expect(byId.get('revoke')?.outcome).toContain(support.userId);
    expect(byId.get('scope')).toMatchObject({ status: 'done', outcome: 'scope: 2 people' });
    expect(byId.get('verify-trail')?.outcome).toMatch(/^trail intact: \d+ entries verified$/);
    expect(byId.get('origin')).toMatchObject({
      status: 'done',
      outcome: expect.stringContaining('fake courier'),
    });
    expect(byId.get('block')?.status).toBe('skipped');
    expect(byId.get('notices')?.status).toBe('pending');

    const timeline = (await security.client.get(`/v1/security/incidents/${incidentId}`)).json().timeline as {
      kind: string;
      actorId: string;
      text: string;
    }[];
    const playbookLines = timeline.filter((t) => t.kind === 'playbook');
    expect(playbookLines.map((t) => t.text.split(':')[0])).toEqual([
      'started playbook stolen-token',
      'stolen-token/revoke done',
      'stolen-token/scope done',
      'stolen-token/verify-trail done',
      'stolen-token/origin done',
      'stolen-token/block skipped',
    ]);
    for (const line of playbookLines) expect(line.actorId).toBe(security.userId);
  });

  it('master-key compromise: rotates the master key and re-wraps every data key; data stays readable', async () => {
    const shopper = await signUp(test);
    const incidentId = await openIncident('Master key found in a build log');
    await security.client.post(`/v1/security/incidents/${incidentId}/playbooks`, {
      playbook: 'master-key-compromise',
    });
    expect(
      (await act(incidentId, 'master-key-compromise', 'rotate-master', { outcome: 'run' })).statusCode,
    ).toBe(202);
    expect(
      (await act(incidentId, 'master-key-compromise', 'rotate-signing', { outcome: 'run' })).statusCode,
    ).toBe(202);
    const steps = await stepsOf(incidentId, 'master-key-compromise');
    expect(steps.find((s) => s.id === 'rotate-master')?.outcome).toMatch(
      /^master key v2 active; \d+ data keys re-wrapped$/,
    );
    expect(steps.find((s) => s.id === 'rotate-signing')?.status).toBe('done');
    const me = await shopper.client.get('/v1/me');
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json().email).toBe(shopper.email);
  });

  it('kill switch: everyone but the responder is signed out and must reset; frozen routes answer 503', async () => {
    const shopper = await signUp(test);
    const colleague = await staffMember(test, 'support');
    const starter = await staffMember(test, 'security');
    const incidentId = await openIncident('Mass account takeover in progress');
    await starter.client.post(`/v1/security/incidents/${incidentId}/playbooks`, { playbook: 'kill-switch' });
    // One person cannot pull it alone: whoever started it does not run it.
    const alone = await starter.client.post(
      `/v1/security/incidents/${incidentId}/playbooks/kill-switch/steps/sessions`,
      { outcome: 'run' },
    );
    expect(expectProblem(alone, 409).code).toBe('RESPOND_SELF_APPROVAL');

    expect((await act(incidentId, 'kill-switch', 'sessions', { outcome: 'run' })).statusCode).toBe(202);
    await test.container.respond.settled();
    expect((await shopper.client.get('/v1/me')).statusCode).toBe(401);
    expect((await colleague.client.get('/v1/me')).statusCode).toBe(401);
    // Only the session acting is spared: the starter's own is gone too.
    expect((await starter.client.get('/v1/me')).statusCode).toBe(401);
    expect((await security.client.get('/v1/me')).statusCode).toBe(200);

    expect((await act(incidentId, 'kill-switch', 'passwords', { outcome: 'run' })).statusCode).toBe(202);
    await test.container.respond.settled();
    const login = await test.anonymous.post('/v1/auth/token', {
      email: shopper.email,
      password: shopper.password,
    });
    expect(expectProblem(login, 403).code).toBe('IDENTITY_PASSWORD_RESET_REQUIRED');

    expect(expectProblem(await act(incidentId, 'kill-switch', 'freeze', { outcome: 'run' }), 422).code).toBe(
      'RESPOND_STEP_MISMATCH',
    );
    const frozen = await act(incidentId, 'kill-switch', 'freeze', {
      outcome: 'run',
      routes: [
        { prefix: '/v1/me/addresses', mode: 'read_only' },
        { prefix: '/v1/orders', mode: 'off' },
      ],
    });
    expect(frozen.statusCode, frozen.body).toBe(202);
    await test.container.respond.settled();
    // Someone who signs up after the kill switch is not held by it, but meets the frozen routes.
    const newcomer = await signUp(test);
    expect((await newcomer.client.get('/v1/me/addresses')).statusCode).toBe(200);
    const write = await newcomer.client.post('/v1/me/addresses', addressBody());
    expect(expectProblem(write, 503).code).toBe('SHIELD_ROUTE_FROZEN');
    expect(expectProblem(await newcomer.client.get('/v1/orders'), 503).code).toBe('SHIELD_ROUTE_FROZEN');
    expect((await newcomer.client.get('/v1/me')).statusCode).toBe(200);

    // Sign-in and the console are never frozen; the freeze is listed and lifted there.
    const badPrefix = await act(incidentId, 'kill-switch', 'freeze', {
      outcome: 'run',
      routes: [{ prefix: '/v1/admin', mode: 'off' }],
    });
    expect(expectProblem(badPrefix, 422).code).toBe('SHIELD_FREEZE_INVALID');
    const refused = await security.client.post('/v1/security/freezes', {
      prefix: '/v1/auth',
      mode: 'off',
      reason: 'stop all logins',
    });
    expect(expectProblem(refused, 422).code).toBe('SHIELD_FREEZE_INVALID');
    const listed = (await security.client.get('/v1/security/freezes')).json().items as {
      prefix: string;
      frozenBy: string;
    }[];
    expect(listed.map((f) => f.prefix)).toEqual(['/v1/me/addresses', '/v1/orders']);
    expect(listed[0]?.frozenBy).toBe(security.userId);
    const lifted = await security.client.delete('/v1/security/freezes?prefix=%2Fv1%2Forders');
    expect(lifted.statusCode, lifted.body).toBe(204);
    expect((await newcomer.client.get('/v1/orders')).statusCode).toBe(200);

    const steps = await stepsOf(incidentId, 'kill-switch');
    expect(steps.map((s) => s.status)).toEqual(['done', 'done', 'done']);
    expect(steps[0]?.outcome).toMatch(/^\d+ sessions and \d+ API keys revoked$/);
    expect(steps[2]?.outcome).toBe('froze /v1/me/addresses (read_only), /v1/orders (off)');
  });

  it('refuses unknown playbooks and steps, and steps of a playbook not started', async () => {
    const incidentId = await openIncident('A quiet incident');
    const unknown = await security.client.post(`/v1/security/incidents/${incidentId}/playbooks`, {
      playbook: 'ransom-payment',
    });
    expect(expectProblem(unknown, 404).code).toBe('RESPOND_PLAYBOOK_NOT_FOUND');
    expect(
      expectProblem(await act(incidentId, 'leaked-dump', 'no-such-step', { outcome: 'run' }), 404).code,
    ).toBe('RESPOND_PLAYBOOK_NOT_FOUND');
    expect(
      expectProblem(await act(incidentId, 'leaked-dump', 'verify-trail', { outcome: 'run' }), 409).code,
    ).toBe('RESPOND_PLAYBOOK_NOT_STARTED');
    const nowhere = `inc_${'0'.repeat(26)}`;
    expect(
      expectProblem(await act(nowhere, 'leaked-dump', 'verify-trail', { outcome: 'run' }), 404).code,
    ).toBe('RESPOND_INCIDENT_NOT_FOUND');
  });
});
