import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertView } from '../../src/modules/watch/index.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { createTestApp, expectProblem, type TestApp, uniqueEmail } from '../helpers/test-app.ts';
import { from, waitUntil } from './helpers.ts';

/*
 * Two API nodes sharing one Redis: each appends the events it sees to one stream and reads the whole
 * stream, so an attack split between them adds up; only the first node to see the detection raises it.
 */

describe('detection across two nodes sharing Redis', () => {
  let redis: RedisServer;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    redis = await startRedis();
    const env = { BULWARK_WATCH_CONTAIN: 'true', REDIS_URL: redis.url, BULWARK_WATCH_STUFFING_ACCOUNTS: '6' };
    a = await createTestApp(env);
    b = await createTestApp(env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.kill();
  });

  const alerts = async (node: TestApp): Promise<AlertView[]> =>
    (await node.container.watch.alerts({ limit: 50 })).items;

  it('credential stuffing split between the nodes (3 accounts each, threshold 6) is caught as one alert', async () => {
    for (let i = 0; i < 3; i += 1) {
      for (const node of [a, b]) {
        const answer = await from(node, `203.0.113.${20 + i}`, 'POST', '/v1/auth/token', {
          email: uniqueEmail(),
          password: 'Password123!',
        });
        expectProblem(answer, 401);
      }
    }
    await waitUntil(
      async () => (await alerts(a)).length + (await alerts(b)).length > 0,
      5_000,
      'an alert on either node',
    );
    // Both nodes evaluated the same six failures; give the slower one time to (not) raise it again.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await a.container.watch.settled();
    await b.container.watch.settled();
    const raised = [...(await alerts(a)), ...(await alerts(b))];
    expect(raised.map((alert) => alert.rule)).toEqual(['credential_stuffing.network']);
    expect(raised[0]?.evidence.accounts).toBe(6);
    expect(raised[0]?.containments.map((c) => c.target.id)).toEqual(['203.0.113.0/24']);
    // Each node's windows saw all six: neither alone had more than three.
    expect(a.container.watch.engine.evaluated).toBeGreaterThanOrEqual(6);
    expect(b.container.watch.engine.evaluated).toBeGreaterThanOrEqual(6);
  });

  it('with the stream unreachable a node still evaluates its own events', async () => {
    const lonely = await createTestApp({
      BULWARK_WATCH_CONTAIN: 'true',
      REDIS_URL: `redis://127.0.0.1:${redis.port + 1}`,
      BULWARK_WATCH_STUFFING_ACCOUNTS: '3',
    });
    try {
      for (let i = 0; i < 3; i += 1) {
        await from(lonely, '198.51.100.9', 'POST', '/v1/auth/token', { email: uniqueEmail(), password: 'x' });
      }
      await waitUntil(
        async () => (await alerts(lonely)).some((alert) => alert.rule === 'credential_stuffing.network'),
        5_000,
        'the local alert',
      );
      // The limiter fell back to this node too, and that is an alert of its own.
      expect((await alerts(lonely)).map((alert) => alert.rule)).toContain('infrastructure.limiter_degraded');
    } finally {
      await lonely.close();
    }
  });
});
