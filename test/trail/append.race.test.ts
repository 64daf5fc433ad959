import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { type Container, createContainer } from '../../src/container.ts';
import { tempDataDir } from '../helpers/spawn-bulwark.ts';
import { createTestApp } from '../helpers/test-app.ts';
import { createPostgresDatabase, engine } from '../helpers/test-database.ts';
import { record } from './helpers.ts';

const FIXTURE = path.resolve(import.meta.dirname, 'fixtures/appender.ts');

function runAppender(env: Record<string, string>, id: number, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      env: { ...process.env, ...env, APPENDER_ID: String(id), APPEND_COUNT: String(count) },
      stdio: 'pipe',
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('close', (code) =>
      code === 0
        ? resolve((JSON.parse(out.trim().split('\n').at(-1) as string) as { committed: number }).committed)
        : reject(new Error(`appender ${id} exited ${code}: ${err}`)),
    );
  });
}

if (engine === 'postgres') {
  describe('several processes appending at once keep one valid chain (PostgreSQL)', () => {
    const dataDir = tempDataDir();
    let database: { url: string; drop(): Promise<void> };
    let env: Record<string, string>;
    let container: Container;

    beforeAll(async () => {
      database = await createPostgresDatabase();
      env = {
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DATABASE_URL: database.url,
        BULWARK_DATA_DIR: dataDir,
        BULWARK_MASTER_KEY: randomBytes(32).toString('base64'),
        BULWARK_TRAIL_CHECKPOINT_EVERY: '25',
      };
      container = await createContainer(loadConfig(env));
      await container.migrate();
    });
    afterAll(async () => {
      await container.close();
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('two processes with four writers each, rollbacks and checkpoints among them', async () => {
      const committed = await Promise.all([runAppender(env, 1, 600), runAppender(env, 2, 600)]);
      const report = await container.trail.verify();
      expect(report.problem).toBeNull();
      // Every committed append is there, in one gap-free sequence, and no rolled-back one is.
      expect(report.entries).toBe(committed[0] + committed[1]);
      expect(report.lastSeq).toBe(report.entries);
      expect(report.checkpoints.trusted).toBeGreaterThan(5);
      const tags = await container.database.db.selectFrom('trailEntries').select('body').execute();
      const fromEach = [1, 2].map(
        (tag) => tags.filter((row) => (row.body as string).includes(`"ticket ${tag}`)).length,
      );
      expect(fromEach).toEqual(committed);
    });
  });
}

describe(`concurrent appends in one process keep one valid chain (${engine})`, () => {
  it('many writers, some inside transactions that roll back', async () => {
    const test = await createTestApp();
    try {
      const { trail } = test.container;
      let committed = 0;
      await Promise.all(
        Array.from({ length: 8 }, async (_, lane) => {
          for (let i = 0; i < 40; i += 1) {
            if (i % 5 === 0) {
              await test.container.database.db
                .transaction()
                .execute(async (trx) => {
                  await trail.record(trx, record(lane * 1000 + i));
                  throw new Error('rolled back on purpose');
                })
                .catch(() => {});
            } else {
              await trail.append(record(lane * 1000 + i));
              committed += 1;
            }
            if (i % 13 === 0) await trail.checkpoint();
          }
        }),
      );
      const report = await trail.verify();
      expect(report.problem).toBeNull();
      expect(report).toMatchObject({ ok: true, entries: committed, lastSeq: committed });
    } finally {
      await test.close();
    }
  });
});
