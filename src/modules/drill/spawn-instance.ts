import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { DrillClient } from './drill-client.ts';

const BIN = path.resolve(import.meta.dirname, '../../../bin/bulwark.js');

/**
 * A fresh instance for `bulwark drill --spawn`: its own data directory on a free loopback port, small
 * budgets (so a scenario needs few victims), and one support and one security member made through the
 * CLI, as an operator would. Settings in the environment win, so a test can weaken a protection.
 */
export interface SpawnedInstance {
  readonly url: string;
  readonly supportToken: string;
  readonly refereeToken: string;
  /** What a thief would carry off: the embedded database directory, or a pg_dump of the drill's database. */
  dump(): string;
  stop(): Promise<void>;
}

const DRILL_DEFAULTS: Record<string, string> = {
  NODE_ENV: 'development',
  BULWARK_SEED_DEMO: 'false',
  BULWARK_PII_BUDGET_SUPPORT: '5/20',
  // A listing budget a scraper spends in a few dozen pages (the default is 5,000 rows an hour).
  BULWARK_RATE_LIMIT_LISTING: '1000/3600',
  // The drill's outsiders all come from 127.0.0.1: the address layers are opened so the scenarios meet the
  // controls they are about (budgets, ownership, detection), not the per-address limit.
  BULWARK_RATE_LIMIT_IP: '100000/60',
  BULWARK_RATE_LIMIT_NETWORK: '100000/60',
  BULWARK_RATE_LIMIT_GLOBAL: '100000/60',
  BULWARK_RATE_LIMIT_ROUTE: '100000/60',
  // As behind a load balancer: the stuffing scenario's many source addresses arrive as X-Forwarded-For.
  BULWARK_TRUSTED_PROXIES: '127.0.0.1/32',
  // Credential stuffing is an alert at 5 accounts failing from one /24 (20 by default), for a small run.
  BULWARK_WATCH_STUFFING_ACCOUNTS: '5',
  BULWARK_ARGON2_MEMORY_KIB: String(19 * 1024),
  BULWARK_ARGON2_TIME_COST: '2',
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function run(args: string[], env: NodeJS.ProcessEnv, stdin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: 'pipe' });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`bulwark ${args[0]}: ${err.trim()}`)),
    );
    child.stdin.end(stdin);
  });
}

async function staffToken(
  url: string,
  env: NodeJS.ProcessEnv,
  role: 'support' | 'security',
): Promise<string> {
  const email = `drill-${role}-${Date.now().toString(36)}@example.test`;
  const password = `Drill-${role}-${process.pid}-staff-pass-long`;
  const created = JSON.parse(
    await run(
      ['staff', 'create', '--email', email, '--role', role, '--password-stdin', '--json'],
      env,
      password,
    ),
  ) as { totpSecret: string };
  const code = new TOTP({ secret: Secret.fromBase32(created.totpSecret) }).generate();
  const tokens = await new DrillClient(url).post('/v1/auth/token', { email, password, mfaCode: code });
  if (tokens.status !== 200) throw new Error(`staff login failed (${tokens.status})`);
  return (tokens.body as { accessToken: string }).accessToken;
}

export async function spawnInstance(): Promise<SpawnedInstance> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-drill-'));
  const port = await freePort();
  const env = {
    ...DRILL_DEFAULTS,
    ...process.env,
    // The embedded database, unless a fresh PostgreSQL database is given for the drill's instance.
    DATABASE_URL: process.env.BULWARK_DRILL_DATABASE_URL ?? '',
    REDIS_URL: '',
    BULWARK_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
  };
  const child: ChildProcess = spawn(process.execPath, [BIN, 'start'], { env, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error('the spawned instance exited while starting');
      const ready = await new DrillClient(url).get('/readyz').then(
        (answer) => answer.status === 200,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error('the spawned instance did not become ready within 90 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const databaseUrl = env.DATABASE_URL;
    return {
      url,
      supportToken: await staffToken(url, env, 'support'),
      refereeToken: await staffToken(url, env, 'security'),
      dump: () => {
        if (!databaseUrl) return path.join(dataDir, 'pgdata');
        const file = path.join(dataDir, 'drill.dump.sql');
        execFileSync('pg_dump', ['--no-owner', '--file', file, databaseUrl], { stdio: 'ignore' });
        return file;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
