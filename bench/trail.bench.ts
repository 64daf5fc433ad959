import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config/index.ts';
import { type Container, createContainer } from '../src/container.ts';
import { encodeEntry, hashBody, type TrailRecord } from '../src/modules/trail/entry-codec.ts';
import { ephemeralRootKey, randomString } from '../src/modules/vault/index.ts';
import { median } from './measure.ts';
import type { Result } from './report.ts';

export interface TrailPlan {
  /** Entries in the trail when verification and scope are measured. */
  readonly entries: number;
  /** Single appends timed (each its own transaction), per concurrency level. */
  readonly appends: number;
  /** Scope questions timed. */
  readonly scopes: number;
}

export const TRAIL_PLANS: Record<'quick' | 'full', TrailPlan> = {
  quick: { entries: 200_000, appends: 1_000, scopes: 25 },
  full: { entries: 10_000_000, appends: 5_000, scopes: 101 },
};

const ACTORS = 10_000;
const SUBJECTS = 1_000_000;
const DAYS = 400;
const LOAD_BATCH = 10_000;
const DAY_MS = 86_400_000;

const id = (prefix: string, n: number) => `${prefix}_${n.toString(32).padStart(26, '0')}`;

/** A realistic mix: mostly reveals and returned data, some logins and staff calls. */
function syntheticRecord(i: number): TrailRecord {
  const actor = id('usr', (i * 7919) % ACTORS);
  const subject = id('usr', ACTORS + ((i * 104_729) % SUBJECTS));
  const kind = i % 10;
  const base = {
    actor: {
      kind: 'staff' as const,
      id: actor,
      role: 'support',
      session: id('ses', i % 50_000),
      network: '10.1.2.0/24',
    },
    requestId: id('req', i),
    result: 'success' as const,
  };
  if (kind < 5) {
    return {
      ...base,
      action: 'pii.revealed',
      target: { type: 'user', id: subject },
      subjects: [subject],
      fields: ['email', 'phone'],
      purpose: `ticket ${i % 100_000}`,
    };
  }
  if (kind < 8) {
    return {
      ...base,
      action: 'staff.action_performed',
      subjects: [subject],
      purpose: 'GET /v1/staff/customers/:id',
    };
  }
  return { ...base, action: 'auth.login_succeeded', subjects: [actor], purpose: 'POST /v1/auth/token' };
}

/**
 * The trail's costs on a large trail: appends per second (each a transaction under the chain's lock, as
 * the application makes them), verification in entries per second (`bulwark trail verify`'s path), and
 * the latency of a scope question. Runs on PostgreSQL when DATABASE_URL is set (a fresh database, dropped
 * afterwards), else on in-memory PGlite. BULWARK_BENCH_TRAIL_ENTRIES overrides the trail's size.
 */
export async function trailBenchmarks(plan: TrailPlan): Promise<{ results: Result[]; note: string }> {
  const entries = Number(process.env.BULWARK_BENCH_TRAIL_ENTRIES ?? plan.entries);
  const baseUrl = process.env.DATABASE_URL;
  const name = `bulwark_bench_trail_${randomString('abcdefghijklmnopqrstuvwxyz', 10)}`;
  let url: string | null = null;
  if (baseUrl) {
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const u = new URL(baseUrl);
    u.pathname = `/${name}`;
    url = u.toString();
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-bench-trail-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    BULWARK_DATA_DIR: dataDir,
    BULWARK_TRAIL_CHECKPOINT_EVERY: '1000000',
    ...(url ? { DATABASE_URL: url } : {}),
  });
  const container = await createContainer(config, {
    inMemory: true,
    rootKey: ephemeralRootKey(),
    poolSize: 16,
  });
  const results: Result[] = [];
  try {
    await container.migrate();
    results.push(...(await appendRates(container, plan.appends)));
    const loaded = await load(container, entries, url);
    await container.trail.checkpoint();
    if (url) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query('vacuum analyze trail_entries');
      await client.end();
    }
    results.push(...(await verifyRates(container)));
    results.push(...(await scopeLatency(container, plan.scopes, loaded.startMs)));
    results.push({
      name: 'trail.load',
      value: Math.round(loaded.perSecond),
      unit: 'entries/s (bulk, batches of 10,000, search indexes built afterwards)',
    });
  } finally {
    await container.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (baseUrl) {
      const admin = new pg.Client({ connectionString: baseUrl });
      await admin.connect();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  }
  return {
    results,
    note: `${entries.toLocaleString('en')} entries on ${url ? 'PostgreSQL on this machine' : 'in-memory PGlite'}; scope asks for one actor's reads over 30 days among ${ACTORS.toLocaleString('en')} actors and ${SUBJECTS.toLocaleString('en')} subjects spread over ${DAYS} days.`,
  };
}

// Three runs: on a shared virtual machine one run can lose a third of its time to other tenants (the
// "steal" column of vmstat), so the figures are the median and the best, with the steal measured.
const VERIFY_RUNS = 3;

async function verifyRates(container: Container): Promise<Result[]> {
  const rates: number[] = [];
  let entries = 0;
  const before = cpuTimes();
  for (let run = 0; run < VERIFY_RUNS; run += 1) {
    const report = await container.trail.verify();
    if (!report.ok) throw new Error(`the loaded trail did not verify: ${JSON.stringify(report.problem)}`);
    rates.push(report.entriesPerSecond);
    entries = report.entries;
  }
  const after = cpuTimes();
  const steal = (100 * (after.steal - before.steal)) / Math.max(after.total - before.total, 1);
  return [
    {
      name: 'trail.verify',
      value: Math.round(median(rates)),
      unit: `entries/s, median of ${VERIFY_RUNS} runs over ${entries.toLocaleString('en')} entries`,
    },
    {
      name: 'trail.verify-best',
      value: Math.max(...rates),
      unit: `entries/s (runs: ${rates.join(', ')}; host steal during them ${steal.toFixed(1)} % of CPU time)`,
    },
  ];
}

/** The machine's CPU time so far (Linux /proc/stat, in ticks): all of it, and what the host took. */
function cpuTimes(): { total: number; steal: number } {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    return { total: ticks.reduce((a, b) => a + b, 0), steal: ticks[7] ?? 0 };
  } catch {
    return { total: 0, steal: 0 };
  }
}

async function appendRates(container: Container, count: number): Promise<Result[]> {
  const out: Result[] = [];
  for (const writers of [1, 8]) {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: writers }, async () => {
        while (next < count) {
          next += 1;
          await container.trail.append(syntheticRecord(next));
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    out.push({
      name: `trail.append-${writers}-writer${writers > 1 ? 's' : ''}`,
      value: Math.round(count / seconds),
      unit: 'appends/s',
    });
  }
  return out;
}

// The migration's search indexes, dropped for the bulk load and built again afterwards (as any bulk load
// of PostgreSQL would); their definitions must match 20261129000700_trail_create_entries.
const SEARCH_INDEXES = [
  'create index trail_entries_actor_at_idx on trail_entries (actor_id, at)',
  'create index trail_entries_action_at_idx on trail_entries (action, at)',
  'create index trail_entries_at_idx on trail_entries (at)',
  'create index trail_entries_subjects_idx on trail_entries using gin (subjects jsonb_path_ops)',
];

/** Extends the chain to `total` entries, spread over DAYS days ending now, in large batches. */
async function load(container: Container, total: number, url: string | null) {
  const db = container.database.db;
  const head = (await db
    .selectFrom('trailEntries')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst()) as { seq: number; hash: string } | undefined;
  let seq = head?.seq ?? 0;
  let prev = head?.hash ?? 'A'.repeat(43);
  const startMs = Date.now() - DAYS * DAY_MS;
  const step = (DAYS * DAY_MS) / Math.max(total, 1);
  const started = performance.now();
  const first = seq;
  let lastReport = started;
  for (const index of SEARCH_INDEXES) {
    await sql.raw(`drop index if exists ${index.split(' ')[2]}`).execute(db);
  }
  // Two batches in flight: the server parses one batch's generated columns while the next is hashed.
  const inFlight = new Set<Promise<unknown>>();
  while (seq < total) {
    const seqs: number[] = [];
    const hashes: string[] = [];
    const bodies: string[] = [];
    for (let i = 0; i < LOAD_BATCH && seq < total; i += 1) {
      seq += 1;
      const body = encodeEntry(prev, seq, new Date(startMs + Math.floor(seq * step)), syntheticRecord(seq));
      prev = hashBody(body);
      seqs.push(seq);
      hashes.push(prev);
      bodies.push(body);
    }
    const insert =
      sql`insert into trail_entries (seq, hash, body) select * from unnest(${seqs}::bigint[], ${hashes}::text[], ${bodies}::text[])`
        .execute(db)
        .finally(() => inFlight.delete(insert));
    inFlight.add(insert);
    if (inFlight.size >= 2) await Promise.race(inFlight);
    if (performance.now() - lastReport > 30_000) {
      lastReport = performance.now();
      process.stderr.write(
        `trail bench: loaded ${seq.toLocaleString('en')} of ${total.toLocaleString('en')}\n`,
      );
    }
  }
  await Promise.all(inFlight);
  const loadedAt = performance.now();
  if (url) {
    // Its own connection: index builds on millions of rows outlast the pool's statement timeout.
    const client = new pg.Client({ connectionString: url, statement_timeout: 0 });
    await client.connect();
    await client.query(`set maintenance_work_mem = '1GB'`);
    for (const index of SEARCH_INDEXES) await client.query(index);
    await client.end();
  } else {
    for (const index of SEARCH_INDEXES) await sql.raw(index).execute(db);
  }
  process.stderr.write(
    `trail bench: indexes built in ${((performance.now() - loadedAt) / 1000).toFixed(0)} s\n`,
  );
  return { perSecond: (seq - first) / ((loadedAt - started) / 1000), startMs };
}

async function scopeLatency(container: Container, count: number, startMs: number): Promise<Result[]> {
  const system = { kind: 'system' as const, purpose: 'bench' };
  const samples: number[] = [];
  let found = 0;
  for (let i = 0; i < count; i += 1) {
    const actor = id('usr', (i * 7919 * 13) % ACTORS);
    const from = new Date(startMs + ((i * 3 * DAY_MS) % ((DAYS - 30) * DAY_MS)));
    const to = new Date(from.getTime() + 30 * DAY_MS);
    const started = performance.now();
    const scope = await container.trail.scope(system, [actor], from, to);
    samples.push(performance.now() - started);
    found += scope.entries.length;
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return [
    {
      name: 'trail.scope-median',
      value: Number(median(samples).toFixed(2)),
      unit: `ms (one actor, 30 days; ${Math.round(found / count)} entries each)`,
    },
    {
      name: 'trail.scope-p95',
      value: Number((sorted[Math.floor(sorted.length * 0.95)] ?? 0).toFixed(2)),
      unit: 'ms',
    },
  ];
}
