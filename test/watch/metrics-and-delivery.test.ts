import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulwarkEvents } from '../../src/platform/events.ts';
import { createTestApp, expectProblem, signUp, type TestApp, uniqueEmail } from '../helpers/test-app.ts';
import { from, waitUntil } from './helpers.ts';

const TOKEN = 'metrics-token-0123456789-abcdefghij';

describe('metrics and alert delivery', () => {
  let test: TestApp;
  let hook: http.Server;
  const posted: { kind: string; alert: { rule: string; severity: string; containments: unknown[] } }[] = [];
  const candidates: BulwarkEvents['watch.incident_candidate'][] = [];

  beforeAll(async () => {
    hook = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        posted.push(JSON.parse(body));
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const port = (hook.address() as AddressInfo).port;
    test = await createTestApp({
      BULWARK_WATCH_CONTAIN: 'true',
      BULWARK_METRICS_TOKEN: TOKEN,
      BULWARK_METRICS_ALLOW: '10.9.0.0/16',
      BULWARK_WATCH_WEBHOOK_URL: `http://127.0.0.1:${port}/alerts`,
      BULWARK_WATCH_STUFFING_ACCOUNTS: '3',
      BULWARK_WATCH_ALERT_EMAIL: 'security-team@example.test',
    });
    test.container.events.on('watch.incident_candidate', (event) => candidates.push(event));
  });
  afterAll(async () => {
    await test?.close();
    await new Promise((resolve) => hook?.close(resolve));
  });

  const metrics = (headers: Record<string, string> = {}, ip = '127.0.0.1') =>
    from(test, ip, 'GET', '/metrics', undefined, headers);

  it('/metrics answers only the token or an allowed address', async () => {
    expect(expectProblem(await metrics(), 403).code).toBe('WATCH_METRICS_FORBIDDEN');
    expectProblem(await metrics({ authorization: 'Bearer not-the-token-but-long-enough' }), 403);
    const withToken = await metrics({ authorization: `Bearer ${TOKEN}` });
    expect(withToken.statusCode).toBe(200);
    expect(withToken.headers['content-type']).toContain('text/plain; version=0.0.4');
    expect((await metrics({}, '10.9.4.2')).statusCode).toBe(200);
  });

  it('without a token or an allow-list /metrics does not exist', async () => {
    const bare = await createTestApp();
    try {
      expectProblem(await bare.anonymous.get('/metrics'), 404);
    } finally {
      await bare.close();
    }
  });

  it('a detection is delivered by webhook, announced as an incident candidate and counted, with no personal data', async () => {
    const shopper = await signUp(test);
    const emails = [shopper.email, uniqueEmail(), uniqueEmail()];
    for (const email of emails) {
      await from(test, '203.0.113.44', 'POST', '/v1/auth/token', { email, password: 'Autumn2025!' });
    }
    await waitUntil(() => posted.length > 0, 5_000, 'the webhook');
    expect(posted[0]?.kind).toBe('bulwark-security-alert');
    expect(posted[0]?.alert.rule).toBe('credential_stuffing.network');
    expect(posted[0]?.alert.containments).toHaveLength(1);
    expect(candidates.map((c) => [c.rule, c.networks])).toEqual([
      ['credential_stuffing.network', ['203.0.113.0/24']],
    ]);
    const text = (await metrics({ authorization: `Bearer ${TOKEN}` })).body;
    expect(text).toContain(
      'bulwark_http_requests_total{method="POST",route="/v1/auth/token",status="401"} 3',
    );
    expect(text).toContain('bulwark_login_failures_total 3');
    expect(text).toContain(
      'bulwark_watch_alerts_total{rule="credential_stuffing.network",severity="high"} 1',
    );
    expect(text).toContain('bulwark_watch_containments_total{kind="network.challenge"} 1');
    expect(text).toMatch(/bulwark_watch_detection_latency_seconds_count 1\n/);
    expect(text).toMatch(
      /bulwark_http_request_duration_seconds_bucket\{le="0.1",method="GET",route="\/metrics"\} \d+/,
    );
    for (const email of emails) {
      expect(text).not.toContain(email);
      expect(JSON.stringify(posted)).not.toContain(email);
    }
    expect(text).not.toContain(shopper.userId);
  });

  it('reveals are counted per role and refusals per limiter layer', async () => {
    const text = (await metrics({ authorization: `Bearer ${TOKEN}` })).body;
    expect(text).toContain('# TYPE bulwark_pii_reveals_total counter');
    expect(text).toContain('# TYPE bulwark_rate_limit_refusals_total counter');
  });
});

describe('monitoring mode (BULWARK_WATCH_CONTAIN=false)', () => {
  it('alerts with the evidence but contains nothing', async () => {
    const test = await createTestApp({
      BULWARK_WATCH_CONTAIN: 'false',
      BULWARK_WATCH_STUFFING_ACCOUNTS: '3',
    });
    try {
      for (let i = 0; i < 3; i += 1) {
        await from(test, '203.0.113.61', 'POST', '/v1/auth/token', {
          email: uniqueEmail(),
          password: 'Spring2026!',
        });
      }
      await test.container.watch.settled();
      const { items } = await test.container.watch.alerts({ limit: 10 });
      expect(items.map((alert) => [alert.rule, alert.containments.length])).toEqual([
        ['credential_stuffing.network', 0],
      ]);
      expect(await test.container.suspects.isSuspect('203.0.113.61')).toBe(false);
    } finally {
      await test.close();
    }
  });
});

describe('alert webhook delivery survives a receiver that is down', () => {
  it('refused twice (503, then no answer at all), the alert arrives on the third try with the same idempotency key', async () => {
    const tries: { key: string | undefined; rule?: string }[] = [];
    const hook = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        const key = request.headers['idempotency-key'] as string | undefined;
        tries.push({ key, rule: (JSON.parse(body) as { alert: { rule: string } }).alert.rule });
        if (tries.length === 1) response.writeHead(503).end();
        else if (tries.length === 2) request.socket.destroy();
        else response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const port = (hook.address() as AddressInfo).port;
    const test = await createTestApp({
      BULWARK_WATCH_CONTAIN: 'true',
      BULWARK_WATCH_WEBHOOK_URL: `http://127.0.0.1:${port}/alerts`,
      BULWARK_WATCH_WEBHOOK_RETRY_SECONDS: '1',
      BULWARK_WATCH_STUFFING_ACCOUNTS: '3',
    });
    try {
      for (let i = 0; i < 3; i += 1) {
        await from(test, '203.0.113.90', 'POST', '/v1/auth/token', {
          email: uniqueEmail(),
          password: 'Autumn2025!',
        });
      }
      await waitUntil(() => tries.length >= 3, 15_000, 'the third delivery attempt');
      const [alert] = (await test.container.watch.alerts({ limit: 10 })).items;
      expect(tries.map((t) => t.key)).toEqual([alert?.id, alert?.id, alert?.id]);
      expect(tries.every((t) => t.rule === 'credential_stuffing.network')).toBe(true);
      // Delivered: no fourth attempt follows.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(tries).toHaveLength(3);
    } finally {
      await test.close();
      await new Promise((resolve) => hook.close(resolve));
    }
  });
});
