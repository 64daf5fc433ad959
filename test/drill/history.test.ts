import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDrill } from '../../src/modules/drill/index.ts';
import {
  createTestApp,
  expectProblem,
  staffMember,
  type TestApp,
  totpCode,
  uniqueEmail,
} from '../helpers/test-app.ts';

/*
 * Drill history: a scored drill run against a live instance (`--url` with a referee token) is recorded
 * there with who ran it, and security staff see each scenario's trend.
 */
describe('drill history', () => {
  let test: TestApp;
  let url: string;
  let refereeToken: string;
  let refereeId: string;

  beforeAll(async () => {
    test = await createTestApp();
    await test.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(test.app.server.address() as AddressInfo).port}`;
    const email = uniqueEmail('referee');
    const password = 'Referee-4wT9-pass-qZr8-long';
    const created = await test.container.identity.createStaff({
      email,
      password,
      role: 'security',
      fullName: 'Drill referee',
      country: 'PL',
    });
    refereeId = created.id;
    const tokens = await test.anonymous.post('/v1/auth/token', {
      email,
      password,
      mfaCode: totpCode(created.totpSecret as string),
    });
    refereeToken = tokens.json().accessToken as string;
  });
  afterAll(() => test?.close());

  it('records a scored run against a live instance, with who ran it and each scenario’s trend', async () => {
    const first = await runDrill({ scenario: 'lookup,mass-assignment', url, refereeToken });
    expect(first.every((r) => r.pass)).toBe(true);
    await runDrill({ scenario: 'lookup', url, refereeToken });
    const security = await staffMember(test, 'security');
    const history = await security.client.get('/v1/security/drills');
    expect(history.statusCode, history.body).toBe(200);
    const body = history.json() as {
      items: { ranBy: string; pass: boolean; results: { scenario: string }[] }[];
      trend: Record<string, { runs: number; passed: number; lastPassed: boolean }>;
    };
    expect(body.items.length).toBeGreaterThanOrEqual(2);
    expect(body.items[0]?.results.map((r) => r.scenario)).toEqual(['lookup']);
    expect(body.items.every((run) => run.ranBy === refereeId && run.pass)).toBe(true);
    expect(body.trend).toEqual({
      lookup: { runs: 2, passed: 2, lastPassed: true },
      'mass-assignment': { runs: 1, passed: 1, lastPassed: true },
    });
  });

  it('runs scheduled outsider scenarios against the instance and records them, with who set the schedule', async () => {
    const security = await staffMember(test, 'security');
    const refused = await security.client.put('/v1/security/drills/schedule', {
      scenarios: ['stolen-staff-token'],
      everyHours: 6,
    });
    expect(expectProblem(refused, 400).code).toBe('PLATFORM_VALIDATION_FAILED');
    const set = await security.client.put('/v1/security/drills/schedule', {
      scenarios: ['lookup'],
      everyHours: 6,
    });
    expect(set.statusCode, set.body).toBe(204);
    const shown = (await security.client.get('/v1/security/drills/schedule')).json().schedule;
    expect(shown).toMatchObject({ scenarios: ['lookup'], everyHours: 6, setBy: security.userId });

    expect(await test.container.drillSchedule.runDue(url)).toBe(false);
    expect(await test.container.drillSchedule.runDue(url, true)).toBe(true);
    const [latest] = (await security.client.get('/v1/security/drills')).json().items as {
      ranBy: string;
      pass: boolean;
      results: { scenario: string; pass: boolean }[];
    }[];
    expect(latest).toMatchObject({ ranBy: `schedule:${security.userId}`, pass: true });
    expect(latest?.results.map((r) => r.scenario)).toEqual(['lookup']);

    expect((await security.client.delete('/v1/security/drills/schedule')).statusCode).toBe(204);
    expect((await security.client.get('/v1/security/drills/schedule')).json().schedule).toBeNull();
  }, 120_000);

  it('takes only well-formed scorecards, from security staff', async () => {
    const support = await staffMember(test, 'support');
    const refused = await support.client.post('/v1/security/drills', { results: [] });
    expect(expectProblem(refused, 403).code).toBe('IDENTITY_FORBIDDEN');
    const security = await staffMember(test, 'security');
    const malformed = await security.client.post('/v1/security/drills', {
      results: [{ scenario: 'lookup', obtained: -1, pass: true }],
    });
    expect(expectProblem(malformed, 400).code).toBe('PLATFORM_VALIDATION_FAILED');
  });
});
