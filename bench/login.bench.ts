import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hash, verify } from '@node-rs/argon2';
import { loadConfig } from '../src/config/index.ts';
import { createContainer } from '../src/container.ts';
import { ephemeralRootKey } from '../src/modules/vault/index.ts';
import { ARGON2_PARAMS } from '../src/modules/vault/password-hasher.ts';
import { buildServer } from '../src/server.ts';
import { createPostgresDatabase } from '../test/helpers/test-database.ts';
import { measure, type Plan } from './measure.ts';
import { compared, type Result } from './report.ts';

export const LOGIN_PLANS: Record<'quick' | 'full', Plan> = {
  quick: { warmupBatches: 1, batches: 5, batchSize: 16 },
  full: { warmupBatches: 2, batches: 11, batchSize: 32 },
};

/** As many logins in flight as libuv has threads for Argon2id: the server is then busy, not idle. */
export const LOGIN_CONCURRENCY = 4;
const PASSWORD = 'Umbrella-Quartz-7-Harbour-Lantern';
const SHOPPERS = 8;

/**
 * Logins per second over real HTTP (the whole path: throttle checks, Argon2id verification, second-factor
 * status, session and refresh token, signed access token, login history with the IP sealed), against raw
 * Argon2id verifications per second with the same parameters and the same concurrency, in the same run.
 * The difference is the server's own overhead.
 */
export async function loginBenchmarks(plan: Plan): Promise<Result[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-bench-'));
  // With DATABASE_URL set, the same run goes against PostgreSQL (a fresh database, dropped afterwards).
  const database = process.env.DATABASE_URL ? await createPostgresDatabase() : null;
  const env = {
    NODE_ENV: 'test',
    BULWARK_DATA_DIR: dataDir,
    ...(database ? { DATABASE_URL: database.url } : {}),
  };
  const container = await createContainer(loadConfig(env), {
    inMemory: true,
    rootKey: ephemeralRootKey(),
  });
  const app = await buildServer(container, {});
  try {
    await container.migrate();
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const emails = await createShoppers(base);
    // The baseline hashes exactly as the server is configured to.
    const stored = await hash(PASSWORD, { ...ARGON2_PARAMS, ...container.config.argon2 });
    let turn = 0;
    const loginOnce = async () => {
      const email = emails[turn++ % emails.length] as string;
      // biome-ignore lint/style/noRestrictedGlobals: the benchmark calls its own server on loopback
      const response = await fetch(`${base}/v1/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'bulwark-bench/1.0' },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      if (response.status !== 200)
        throw new Error(`login failed: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
    };
    const verifyOnce = async () => {
      if (!(await verify(stored, PASSWORD))) throw new Error('argon2 verify failed');
    };
    const timings = await measure(
      { login: (n) => inParallel(n, loginOnce), argon2: (n) => inParallel(n, verifyOnce) },
      plan,
    );
    const perSecond = (nsPerOp: number) => 1e9 / nsPerOp;
    return compared(
      'identity.logins',
      'logins/s',
      perSecond(timings.login),
      'argon2id-verify',
      perSecond(timings.argon2),
    );
  } finally {
    await app.close();
    await container.close();
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function createShoppers(base: string): Promise<string[]> {
  const emails: string[] = [];
  for (let i = 0; i < SHOPPERS; i++) {
    const email = `bench-${i}-${Date.now()}@example.test`;
    // biome-ignore lint/style/noRestrictedGlobals: the benchmark calls its own server on loopback
    const response = await fetch(`${base}/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD, fullName: 'Bench Shopper', country: 'PL' }),
    });
    if (response.status !== 201) throw new Error(`sign-up failed: ${await response.text()}`);
    emails.push(email);
  }
  return emails;
}

/** Runs `n` operations with LOGIN_CONCURRENCY in flight at any time. */
async function inParallel(n: number, operation: () => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      await operation();
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOGIN_CONCURRENCY, n) }, worker));
}
