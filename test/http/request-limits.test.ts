import type { AddressInfo } from 'node:net';
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  expectProblem,
  serveCapturingLogs,
  type TestApp,
  uniqueEmail,
} from '../helpers/test-app.ts';

const registration = (extra: Record<string, unknown> = {}) => ({
  email: uniqueEmail('limits'),
  password: 'velvet otter quarries 917',
  fullName: 'Limit Tester',
  country: 'PL',
  ...extra,
});

describe('request limits beyond the byte size', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp({ BULWARK_HEADERS_TIMEOUT_MS: '1000' });
  });
  afterAll(() => test.close());

  const users = async () =>
    Number(
      (
        await test.container.database.db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('a body nested deeper than 32 levels is refused before validation, and nothing is written', async () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = { a: deep };
    const before = await users();
    const problem = expectProblem(
      await test.anonymous.post('/v1/auth/register', registration({ extra: deep })),
      400,
    );
    expect(problem.code).toBe('PLATFORM_BODY_TOO_COMPLEX');
    expect(problem.detail).toContain('32 levels');
    expect(await users()).toBe(before);
  });

  it('a body of more than 10,000 values is refused even when it fits the byte limit', async () => {
    const many = registration({ extra: Array.from({ length: 20_000 }, () => 0) });
    const problem = expectProblem(await test.anonymous.post('/v1/auth/register', many), 400);
    expect(problem.code).toBe('PLATFORM_BODY_TOO_COMPLEX');
  });

  it('ordinary bodies pass: the limits are far above anything the API takes', async () => {
    expect((await test.anonymous.post('/v1/auth/register', registration())).statusCode).toBe(201);
  });

  it('a client that trickles its headers (slowloris) is cut off after the header deadline', async () => {
    const server = await serveCapturingLogs(test.container);
    await server.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = server.server.address() as AddressInfo;
      const socket = net.connect({ host: '127.0.0.1', port });
      await new Promise((resolve) => socket.once('connect', resolve));
      const started = Date.now();
      socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      const trickle = setInterval(() => socket.write('X-Slow: 1\r\n'), 200);
      const closedAfter = await new Promise<number>((resolve) => {
        socket.once('close', () => resolve(Date.now() - started));
        socket.on('data', () => {});
        socket.on('error', () => {});
      });
      clearInterval(trickle);
      // The deadline is 1 s, checked every second: the server hangs up within about two.
      expect(closedAfter).toBeLessThan(5_000);
    } finally {
      await (server as FastifyInstance).close();
    }
  });
});

describe('per-route time limits', () => {
  let test: TestApp;
  beforeAll(async () => {
    // A hash that takes seconds stands in for any handler that hangs (a stalled database, say).
    test = await createTestApp({
      BULWARK_ROUTE_TIME_LIMIT_MS: '1000',
      // 512 MiB × 10 passes: several seconds even on an idle machine, well past the 1 s limit.
      BULWARK_ARGON2_MEMORY_KIB: String(512 * 1024),
      BULWARK_ARGON2_TIME_COST: '10',
    });
  });
  afterAll(async () => {
    // Let the abandoned handler finish before the database goes away.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    await test.close();
  });

  it('a handler past its limit answers 503 with Retry-After instead of holding the caller', async () => {
    const started = Date.now();
    const response = await test.anonymous.post('/v1/auth/register', registration());
    const problem = expectProblem(response, 503);
    expect(problem.code).toBe('PLATFORM_TIMEOUT');
    expect(response.headers['retry-after']).toBe('5');
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});
