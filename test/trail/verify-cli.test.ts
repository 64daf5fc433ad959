import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { type Container, createContainer } from '../../src/container.ts';
import { checkpointFile } from '../../src/modules/trail/index.ts';
import { runBulwark, tempDataDir } from '../helpers/spawn-bulwark.ts';
import { createPostgresDatabase, engine } from '../helpers/test-database.ts';
import { record } from './helpers.ts';

/*
 * `bulwark trail verify` as an operator runs it, against a trail a superuser tampered with (the trigger
 * switched off): it exits 2 and names the entry, and exits 0 on an untouched trail.
 */
describe(`bulwark trail verify (${engine})`, () => {
  const dataDir = tempDataDir();
  let database: { url: string; drop(): Promise<void> } | null = null;
  let env: Record<string, string>;

  async function withContainer<T>(work: (container: Container) => Promise<T>): Promise<T> {
    const container = await createContainer(loadConfig(env));
    try {
      return await work(container);
    } finally {
      await container.close();
    }
  }

  async function tamper(statements: string[]): Promise<void> {
    if (database) {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      await client.query('set session_replication_role = replica');
      for (const statement of statements) await client.query(statement);
      await client.end();
      return;
    }
    await withContainer((container) =>
      container.database.db.transaction().execute(async (trx) => {
        await sql`set local session_replication_role = replica`.execute(trx);
        for (const statement of statements) await sql.raw(statement).execute(trx);
      }),
    );
  }

  async function verify() {
    const result = await runBulwark(['trail', 'verify', '--json'], env);
    const report = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? 'null') as {
      ok: boolean;
      entries: number;
      problem: { kind: string; seq: number; detail: string } | null;
    };
    return { code: result.code, report, stderr: result.stderr };
  }

  beforeAll(async () => {
    database = engine === 'postgres' ? await createPostgresDatabase() : null;
    env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      BULWARK_DATA_DIR: dataDir,
      BULWARK_MASTER_KEY: randomBytes(32).toString('base64'),
      BULWARK_SEED_DEMO: 'false',
      ...(database ? { DATABASE_URL: database.url } : {}),
    };
    await withContainer((container) => container.migrate());
  });
  afterAll(async () => {
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await tamper(['delete from trail_entries', 'delete from trail_checkpoints']);
    fs.rmSync(checkpointFile(dataDir), { force: true });
    await withContainer(async (container) => {
      for (let i = 1; i <= 30; i += 1) await container.trail.append(record(i));
      await container.trail.checkpoint();
    });
  });

  it('an untouched trail exits 0 and says how many entries it checked', async () => {
    const { code, report } = await verify();
    expect(code).toBe(0);
    expect(report).toMatchObject({ ok: true, entries: 30, problem: null });
    const text = await runBulwark(['trail', 'verify'], env);
    expect(text.stdout).toMatch(
      /^trail intact: \d+ entries up to \d+, 1 signed checkpoints \(\d+ entries\/s\)/,
    );
  });

  it.each([
    [
      'one field of one entry edited',
      [`update trail_entries set body = replace(body, '"ticket 12"', '"ticket 13"') where seq = 12`],
      'modified',
      12,
    ],
    ['a middle entry deleted', ['delete from trail_entries where seq = 15'], 'deleted', 15],
    ['the tail deleted after a checkpoint', ['delete from trail_entries where seq > 26'], 'missing_tail', 27],
    [
      'two entries reordered',
      [
        'update trail_entries set seq = -seq where seq in (8, 20)',
        'update trail_entries set seq = 20 where seq = -8',
        'update trail_entries set seq = 8 where seq = -20',
      ],
      'reordered',
      8,
    ],
    [
      'a forged entry inserted',
      [
        'update trail_entries set seq = -seq where seq >= 5',
        'update trail_entries set seq = -seq + 1 where seq < 0',
        `insert into trail_entries (seq, hash, body) select 5, hash, replace(body, ',4,', ',5,') from trail_entries where seq = 4`,
      ],
      'inserted',
      5,
    ],
  ])('%s: exit 2, naming the entry', async (_name, statements, kind, seq) => {
    await tamper(statements as string[]);
    const { code, report } = await verify();
    expect(code).toBe(2);
    expect(report.problem).toMatchObject({ kind, seq });
  });

  it('without --json it says in one line where the trail broke', async () => {
    await tamper(['delete from trail_entries where seq = 9']);
    const text = await runBulwark(['trail', 'verify'], env);
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(
      /^TRAIL BROKEN at entry 9 \(deleted\): entry 9 was deleted: entry 10 follows entry 8\n$/,
    );
  });
});
