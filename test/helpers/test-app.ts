import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { Secret, TOTP } from 'otpauth';
import { type Config, loadConfig } from '../../src/config/index.ts';
import { type Container, createContainer } from '../../src/container.ts';
import type { MarketplaceFakes } from '../../src/modules/commerce/index.ts';
import type { StaffRole } from '../../src/modules/identity/index.ts';
import { ephemeralRootKey } from '../../src/modules/vault/index.ts';
import type { Clock } from '../../src/platform/clock.ts';
import type { OutboundTestOptions } from '../../src/platform/outbound/index.ts';
import { buildServer } from '../../src/server.ts';
import { createPostgresDatabase, engine } from './test-database.ts';

export interface TestApp {
  readonly app: FastifyInstance;
  readonly container: Container;
  readonly config: Config;
  /** An HTTP client with no credentials. */
  readonly anonymous: Client;
  /** Every log line the server wrote. */
  readonly logs: string[];
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** PGlite on disk in the data directory instead of in memory (to inspect its files). */
  readonly onDisk?: boolean;
  /** A clock the test controls (expiry, step-up windows, token lifetimes); the system clock otherwise. */
  readonly clock?: Clock;
  /**
   * What outbound fetchers may reach besides public https hosts: by default plain http on any port at
   * 127.0.0.1, where tests run their fakes (the breach service, marketplaces). Nothing else private.
   */
  readonly outbound?: OutboundTestOptions;
  /** Where the product resolver reads item data (fake marketplaces), and how long it waits. */
  readonly marketplaceFakes?: MarketplaceFakes;
}

export const LOOPBACK_FAKES: OutboundTestOptions = Object.freeze({
  allowPrivateForTests: ['127.0.0.1'],
  allowHttpForTests: true,
});

/**
 * Builds the real server on a real database: in-memory PGlite, or a fresh PostgreSQL database. Every log
 * line the server writes, at debug level, is captured in `logs` (and in BULWARK_TEST_LOG_DIR when the
 * suite's global setup provides one, so the whole suite's logs can be scanned for personal data).
 */
export async function createTestApp(
  env: Record<string, string> = {},
  options: TestAppOptions = {},
): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-test-'));
  const database = engine === 'postgres' ? await createPostgresDatabase() : null;
  const config = loadConfig({
    NODE_ENV: 'test',
    BULWARK_DATA_DIR: dataDir,
    // OWASP's minimum cost keeps hundreds of sign-ups fast; the production default (128 MiB, 3 passes) has
    // its own tests. Pass '' to get the default.
    BULWARK_ARGON2_MEMORY_KIB: String(19 * 1024),
    BULWARK_ARGON2_TIME_COST: '2',
    // Detection alerts but does not contain unless a test asks: suites that attack one control on purpose
    // (guessing, probing other shoppers' IDs, spending a budget) test that control, not detection's
    // lock or revocation, which test/watch covers with BULWARK_WATCH_CONTAIN=true.
    BULWARK_WATCH_CONTAIN: 'false',
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...env,
  });
  const container = await createContainer(config, {
    inMemory: !options.onDisk,
    rootKey: ephemeralRootKey(),
    poolSize: 5,
    outbound: options.outbound ?? LOOPBACK_FAKES,
    ...(options.marketplaceFakes ? { marketplaceFakes: options.marketplaceFakes } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await container.migrate();
  const logs: string[] = [];
  const app = await serveCapturingLogs(container, logs);
  await app.ready();
  return {
    app,
    container,
    config,
    anonymous: new Client(app),
    logs,
    async close() {
      await app.close();
      await container.close();
      await database?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The real server for a container, logging at debug level into `logs` and into BULWARK_TEST_LOG_DIR
 * (when the suite's global setup provides one), so the suite can prove no personal data is logged.
 */
export async function serveCapturingLogs(
  container: Container,
  logs: string[] = [],
): Promise<FastifyInstance> {
  const logDir = process.env.BULWARK_TEST_LOG_DIR;
  const logFile = logDir
    ? path.join(logDir, `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.ndjson`)
    : null;
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      if (logFile) fs.appendFileSync(logFile, chunk);
      done();
    },
  });
  return (await buildServer(
    { ...container, config: Object.freeze({ ...container.config, logLevel: 'debug' as const }) },
    { logStream },
  )) as unknown as FastifyInstance;
}

export class Client {
  constructor(
    readonly app: FastifyInstance,
    readonly headers: Record<string, string> = {},
  ) {}

  request(
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    return this.app.inject({
      method,
      url,
      headers: { ...this.headers, ...headers },
      ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
    });
  }
  get(url: string, headers?: Record<string, string>) {
    return this.request('GET', url, undefined, headers);
  }
  post(url: string, body?: unknown, headers?: Record<string, string>) {
    return this.request('POST', url, body, headers);
  }
  patch(url: string, body?: unknown, headers?: Record<string, string>) {
    return this.request('PATCH', url, body, headers);
  }
  put(url: string, body?: unknown, headers?: Record<string, string>) {
    return this.request('PUT', url, body, headers);
  }
  delete(url: string, headers?: Record<string, string>) {
    return this.request('DELETE', url, undefined, headers);
  }
}

let counter = 0;
export function uniqueEmail(prefix = 'shopper'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now()}-${counter}@example.test`;
}

export interface Shopper {
  readonly client: Client;
  readonly email: string;
  readonly password: string;
  readonly userId: string;
}

/** Signs up through the API and logs in for a bearer token, as a real client would. */
export async function signUp(test: TestApp, overrides: Record<string, unknown> = {}): Promise<Shopper> {
  const email = uniqueEmail();
  const password = 'correct horse battery staple';
  const registered = await test.anonymous.post('/v1/auth/register', {
    email,
    password,
    fullName: 'Test Shopper',
    country: 'PL',
    phone: '+48601234567',
    ...overrides,
  });
  if (registered.statusCode !== 201) throw new Error(`sign-up failed: ${registered.body}`);
  return logIn(test, email, password);
}

export async function logIn(test: TestApp, email: string, password: string): Promise<Shopper> {
  const tokens = await test.anonymous.post('/v1/auth/token', { email, password });
  if (tokens.statusCode !== 200) throw new Error(`login failed: ${tokens.body}`);
  const client = new Client(test.app, { authorization: `Bearer ${tokens.json().accessToken}` });
  const me = await client.get('/v1/me');
  return { client, email, password, userId: me.json().id };
}

/** The current code of an authenticator app holding `secret`, as a staff member's phone would show it. */
export function totpCode(secret: string, at = Date.now()): string {
  return new TOTP({ secret: Secret.fromBase32(secret), period: 30, digits: 6 }).generate({ timestamp: at });
}

export interface StaffMember {
  readonly client: Client;
  readonly email: string;
  readonly password: string;
  readonly userId: string;
  readonly totpSecret: string;
  readonly recoveryCodes: string[];
}

/**
 * A staff member created the way an operator would (`bulwark staff create`: an authenticator enrolled),
 * logged in with password and TOTP code.
 */
export async function staffMember(test: TestApp, role: StaffRole): Promise<StaffMember> {
  const email = uniqueEmail(role);
  const password = 'Staff-4wT9-pass-qZr8-long';
  const created = await test.container.identity.createStaff({
    email,
    password,
    role,
    fullName: `Test ${role}`,
    country: 'CN',
  });
  const totpSecret = created.totpSecret as string;
  const tokens = await test.anonymous.post('/v1/auth/token', {
    email,
    password,
    mfaCode: totpCode(totpSecret),
  });
  if (tokens.statusCode !== 200) throw new Error(`staff login failed: ${tokens.body}`);
  const client = new Client(test.app, { authorization: `Bearer ${tokens.json().accessToken}` });
  return { client, email, password, userId: created.id, totpSecret, recoveryCodes: created.recoveryCodes };
}

export async function staffClient(test: TestApp, role: StaffRole): Promise<Client> {
  return (await staffMember(test, role)).client;
}

/**
 * Back-dates every session of the user: their last login or step-up was `seconds` before `now` (the
 * container's clock unless given), so step-up windows can be tested without waiting.
 */
export async function backdateAuthentication(test: TestApp, userId: string, seconds: number, now?: Date) {
  const at = new Date((now ?? test.container.clock.now()).getTime() - seconds * 1000);
  await test.container.database.db
    .updateTable('sessions')
    .set({ authenticatedAt: at })
    .where('userId', '=', userId)
    .execute();
}

/**
 * A problem's text without its request ID, which is random base32 and may spell anything short ("AES",
 * "JWS") by chance: for checking that the server's own words give nothing away.
 */
export function serverWords(response: LightMyRequestResponse): string {
  const { requestId: _random, ...words } = response.json() as Record<string, unknown>;
  return JSON.stringify(words);
}

export function expectProblem(response: LightMyRequestResponse, status: number) {
  if (response.statusCode !== status) {
    throw new Error(`expected ${status}, got ${response.statusCode}: ${response.body}`);
  }
  if (!String(response.headers['content-type']).startsWith('application/problem+json')) {
    throw new Error(`expected problem+json, got ${response.headers['content-type']}`);
  }
  return response.json() as {
    code: string;
    detail: string;
    errors?: { field: string; message: string }[];
    currentStatus?: string;
  };
}
