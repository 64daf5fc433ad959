import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOperatorCommand } from '../../src/cli/operator-commands.ts';
import { loadConfig } from '../../src/config/index.ts';
import { verifyArchive } from '../../src/modules/trail/index.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { engine } from '../helpers/test-database.ts';
import { record } from './helpers.ts';

const DAY_MS = 86_400_000;

/*
 * Retention: entries older than the retention period are exported with their checkpoints to a file that
 * verifies on its own, then pruned; the trail left in the database still verifies from the archive's end.
 */
describe(`trail retention and archives (${engine})`, () => {
  let test: TestApp;
  const clock = { offsetMs: -730 * DAY_MS, now: () => new Date(Date.now() + clock.offsetMs) };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-archive-'));
  let archive: string;

  beforeAll(async () => {
    test = await createTestApp({ BULWARK_TRAIL_RETENTION_DAYS: '365' }, { clock });
    // Two years ago: a closed period, with a checkpoint inside it.
    for (let i = 1; i <= 30; i += 1) {
      await test.container.trail.append(record(i));
      if (i === 20) await test.container.trail.checkpoint();
    }
    clock.offsetMs = 0;
    for (let i = 31; i <= 40; i += 1) await test.container.trail.append(record(i));
    await test.container.trail.checkpoint();
  });
  afterAll(async () => {
    await test.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('retention defaults to more than a year and cannot be set below one', () => {
    expect(loadConfig({}).trailRetentionDays).toBe(400);
    expect(() => loadConfig({ BULWARK_TRAIL_RETENTION_DAYS: '30' })).toThrow(/BULWARK_TRAIL_RETENTION_DAYS/);
  });

  it('archives the closed period, prunes it, and the rest still verifies', async () => {
    const result = (await runOperatorCommand(test.container, { name: 'trail.archive', directory: dir })) as {
      file: string;
      fromSeq: number;
      upToSeq: number;
      pruned: number;
    };
    expect(result).toMatchObject({ fromSeq: 1, upToSeq: 30, pruned: 30 });
    archive = result.file;
    expect(fs.statSync(archive).mode & 0o777).toBe(0o600);
    const left = await test.container.database.db
      .selectFrom('trailEntries')
      .select('seq')
      .orderBy('seq')
      .execute();
    expect(left[0]?.seq).toBe(31);
    const report = await test.container.trail.verify();
    expect(report.problem).toBeNull();
    // 31 to 40, and the `trail.archived` entry.
    expect(report).toMatchObject({ ok: true, fromSeq: 31, entries: 11 });
    // Nothing older is left to archive; running again is harmless.
    expect(await runOperatorCommand(test.container, { name: 'trail.archive', directory: dir })).toMatchObject(
      { file: null },
    );
  });

  it('the archive verifies on its own, and only with the right keys', async () => {
    const report = await verifyArchive(archive);
    expect(report).toMatchObject({ ok: true, entries: 30, upToSeq: 30 });
    const [kid] = (await test.container.trail.signer.trustedKeys()).map((key) => key.kid);
    expect((await verifyArchive(archive, [kid as string])).ok).toBe(true);
    expect((await verifyArchive(archive, ['someone-elses-key'])).problem?.kind).toBe('checkpoint_forged');
  });

  it('an edited or shortened archive fails', async () => {
    const lines = fs.readFileSync(archive, 'utf8').trimEnd().split('\n');
    const edited = path.join(dir, 'edited.ndjson');
    fs.writeFileSync(edited, `${lines.map((line) => line.replace('ticket 12', 'ticket 99')).join('\n')}\n`);
    expect((await verifyArchive(edited)).problem).toMatchObject({ seq: 12 });
    const shortened = path.join(dir, 'shortened.ndjson');
    fs.writeFileSync(shortened, `${lines.slice(0, -3).join('\n')}\n`);
    expect((await verifyArchive(shortened)).problem).toMatchObject({ kind: 'missing_tail', seq: 28 });
  });

  it('recent entries cannot be pruned, even with the retention flag set', async () => {
    await expect(
      test.container.database.db.transaction().execute(async (trx) => {
        await sql`select set_config('bulwark.trail_prune', 'on', true)`.execute(trx);
        await sql`delete from trail_entries where seq = 35`.execute(trx);
      }),
    ).rejects.toThrow(/append-only/);
  });
});
