import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createPostgresDatabase, engine } from './test-database.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/bulwark.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-cli-'));
}

/**
 * The environment of a server the suite starts on its own data: a development node on `dataDir`, and on
 * the PostgreSQL pass a fresh database with a master key made now (nodes sharing a database share one).
 * `drop` removes the database afterwards.
 */
export async function serverEnvironment(
  dataDir: string,
  extra: Record<string, string> = {},
): Promise<{ env: Record<string, string>; drop: () => Promise<void> }> {
  const env: Record<string, string> = {
    BULWARK_DATA_DIR: dataDir,
    NODE_ENV: 'development',
    BULWARK_SEED_DEMO: 'false',
    DATABASE_URL: '',
    ...extra,
  };
  if (engine !== 'postgres') return { env, drop: async () => {} };
  const database = await createPostgresDatabase();
  env.DATABASE_URL = database.url;
  env.BULWARK_MASTER_KEY = randomBytes(32).toString('base64');
  return { env, drop: database.drop };
}

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `bulwark ARGS` to completion, as an operator would. */
export function runBulwark(args: string[], env: Record<string, string>, stdin = ''): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...FAST_HASHING, ...env },
      stdio: 'pipe',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

export interface RunningServer {
  readonly url: string;
  readonly process: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Budgets for the servers the suite starts: tests make bursts from one address, so every layer gets a
 * million points a minute unless the test sets its own (the limits themselves are tested elsewhere).
 */
/** OWASP's minimum hashing cost, as in createTestApp: suites sign up hundreds of shoppers. */
const FAST_HASHING = { BULWARK_ARGON2_MEMORY_KIB: String(19 * 1024), BULWARK_ARGON2_TIME_COST: '2' };

const ROOMY_RATE_LIMITS = Object.fromEntries(
  ['IP', 'NETWORK', 'GLOBAL', 'PRINCIPAL', 'ROUTE', 'ACCOUNT'].map((layer) => [
    `BULWARK_RATE_LIMIT_${layer}`,
    '1000000/60',
  ]),
);

/** Starts `bulwark start` and waits until /healthz answers; fails after `timeoutMs`. */
// Generous for a loaded CI machine; the 30 s promise of a fresh start is measured on its own (README).
export async function startBulwark(env: Record<string, string>, timeoutMs = 90_000): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'start'], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      ...ROOMY_RATE_LIMITS,
      ...FAST_HASHING,
      ...env,
    },
    stdio: 'pipe',
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`bulwark start exited early:\n${output}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`bulwark start did not answer /healthz within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    process: child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
