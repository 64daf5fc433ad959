import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { engine } from '../helpers/test-database.ts';
import { asSuperuser, forge, freshTrail, q, rows } from './helpers.ts';

// Every attack the trail exists for, by a database superuser who bypasses the append-only trigger; the
// verifier must name the entry each time, and pass an untouched trail.
describe(`trail tampering is detected and named (${engine})`, () => {
  let test: TestApp;
  // Each case is checked twice: one stream, and (on PostgreSQL) ranges joined at entries, walked on this
  // thread and a worker thread at once, which must name the same entry.
  const verify = async () => {
    const one = await test.container.trail.verify();
    const two = await test.container.trail.verify(undefined, { parallelFrom: 2, threads: 2 });
    expect(two.problem).toEqual(one.problem);
    expect(two.entries).toBe(one.entries);
    return one;
  };

  beforeAll(async () => {
    test = await createTestApp();
  });
  afterAll(async () => {
    await test.close();
  });
  beforeEach(async () => {
    await freshTrail(test, 20);
  });

  it('an untouched trail verifies, checkpoints and all', async () => {
    await test.container.trail.checkpoint();
    const report = await verify();
    expect(report.problem).toBeNull();
    expect(report).toMatchObject({ ok: true, entries: 20, lastSeq: 20 });
    expect(report.checkpoints.trusted).toBe(1);
    expect(report.checkpoints.fromFile).toBe(1);
  });

  it('the application cannot update, delete or truncate entries (append-only trigger)', async () => {
    const db = test.container.database.db;
    await test.container.trail.checkpoint();
    await expect(sql`update trail_entries set hash = 'x' where seq = 3`.execute(db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`delete from trail_entries where seq = 3`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`truncate trail_entries`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from trail_checkpoints`.execute(db)).rejects.toThrow(/append-only/);
    // Retention's flag does not open recent entries either.
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`select set_config('bulwark.trail_prune', 'on', true)`.execute(trx);
        await sql`delete from trail_entries where seq = 3`.execute(trx);
      }),
    ).rejects.toThrow(/append-only/);
    expect((await verify()).ok).toBe(true);
  });

  it('editing one field of one entry names that entry as modified', async () => {
    await asSuperuser(test, [
      `update trail_entries set body = replace(body, '"ticket 7"', '"ticket 8"') where seq = 7`,
    ]);
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.problem).toMatchObject({ kind: 'modified', seq: 7 });
    expect(report.entries).toBe(6);
  });

  it('editing an entry and its stored hash names the entry too (the next one no longer links)', async () => {
    const [, , , , seventh] = [...(await rows(test))].slice(2);
    const forged = forge(JSON.parse(seventh?.body as string)[0], 7, [
      ...JSON.parse(seventh?.body as string).slice(0, 13),
      'innocent',
      'success',
      null,
    ]);
    await asSuperuser(test, [
      `update trail_entries set body = ${q(forged.body)}, hash = ${q(forged.hash)} where seq = 7`,
    ]);
    expect((await verify()).problem).toMatchObject({ kind: 'modified', seq: 7 });
  });

  it('deleting a middle entry names the missing entry', async () => {
    await asSuperuser(test, ['delete from trail_entries where seq = 11']);
    expect((await verify()).problem).toMatchObject({ kind: 'deleted', seq: 11 });
  });

  it('deleting the tail after a checkpoint names the first missing entry', async () => {
    await test.container.trail.checkpoint();
    await asSuperuser(test, ['delete from trail_entries where seq > 17']);
    expect((await verify()).problem).toMatchObject({ kind: 'missing_tail', seq: 18 });
  });

  it('deleting the tail and the checkpoints in the database is caught by the checkpoint file', async () => {
    await test.container.trail.checkpoint();
    await asSuperuser(test, ['delete from trail_entries where seq > 17', 'delete from trail_checkpoints']);
    const report = await verify();
    expect(report.checkpoints.fromDatabase).toBe(0);
    expect(report.problem).toMatchObject({ kind: 'missing_tail', seq: 18 });
  });

  it('swapping two neighbouring entries names the first position', async () => {
    await asSuperuser(test, [
      'update trail_entries set seq = -seq where seq in (5, 6)',
      'update trail_entries set seq = 6 where seq = -5',
      'update trail_entries set seq = 5 where seq = -6',
    ]);
    expect((await verify()).problem).toMatchObject({ kind: 'reordered', seq: 5 });
  });

  it('swapping two distant entries names the first position', async () => {
    await asSuperuser(test, [
      'update trail_entries set seq = -seq where seq in (4, 12)',
      'update trail_entries set seq = 12 where seq = -4',
      'update trail_entries set seq = 4 where seq = -12',
    ]);
    expect((await verify()).problem).toMatchObject({ kind: 'reordered', seq: 4 });
  });

  it('inserting a forged, correctly hashed entry in the middle names it', async () => {
    const all = await rows(test);
    const ninth = all[8] as { hash: string; body: string };
    const forged = forge(ninth.hash, 10, JSON.parse(ninth.body));
    await asSuperuser(test, [
      'update trail_entries set seq = -seq where seq >= 10',
      'update trail_entries set seq = -seq + 1 where seq < 0',
      `insert into trail_entries (seq, hash, body) values (10, ${q(forged.hash)}, ${q(forged.body)})`,
    ]);
    expect((await verify()).problem).toMatchObject({ kind: 'inserted', seq: 10 });
  });

  it('inserting a forged entry with a careless hash is still named as the inserted one', async () => {
    const all = await rows(test);
    const ninth = all[8] as { hash: string; body: string };
    const forged = forge(ninth.hash, 10, JSON.parse(ninth.body));
    await asSuperuser(test, [
      'update trail_entries set seq = -seq where seq >= 10',
      'update trail_entries set seq = -seq + 1 where seq < 0',
      `insert into trail_entries (seq, hash, body) values (10, 'not-a-hash', ${q(forged.body)})`,
    ]);
    expect((await verify()).problem).toMatchObject({ kind: 'inserted', seq: 10 });
  });

  it('rewriting the whole chain with recomputed hashes is caught by the signed checkpoint', async () => {
    await test.container.trail.checkpoint();
    const all = await rows(test);
    let prev = 'A'.repeat(43);
    const statements: string[] = [];
    for (const row of all) {
      const body = JSON.parse(row.body);
      if (row.seq === 3) body[13] = 'nothing to see';
      const forged = forge(prev, row.seq, body);
      prev = forged.hash;
      statements.push(
        `update trail_entries set body = ${q(forged.body)}, hash = ${q(forged.hash)} where seq = ${row.seq}`,
      );
    }
    await asSuperuser(test, statements);
    expect((await verify()).problem).toMatchObject({ kind: 'rewritten', seq: 1 });
  });

  it('a checkpoint signed by a key the root key never sealed is refused', async () => {
    await test.container.trail.checkpoint();
    const [checkpoint] = await test.container.database.db
      .selectFrom('trailCheckpoints')
      .selectAll()
      .execute();
    const [header, payload] = String(checkpoint?.jws).split('.');
    await asSuperuser(test, [
      `insert into trail_checkpoints (seq, head_hash, at, kid, jws) values (25, 'x', now(), 'k', ${q(`${header}.${payload?.replace(/.$/, 'A')}.AAAA`)})`,
    ]);
    expect((await verify()).problem).toMatchObject({ kind: 'checkpoint_forged', seq: 25 });
  });

  it('a search column cut loose from the hashed body (generation dropped, then edited) is reported', async () => {
    await asSuperuser(test, [
      'alter table trail_entries alter column actor_id drop expression',
      `update trail_entries set actor_id = 'usr_someone_else' where seq = 4`,
    ]);
    try {
      expect((await verify()).problem).toMatchObject({ kind: 'schema_altered' });
    } finally {
      await asSuperuser(test, [
        'alter table trail_entries drop column actor_id',
        `alter table trail_entries add column actor_id text generated always as ((body::jsonb) ->> 4) stored`,
        'create index trail_entries_actor_at_idx on trail_entries (actor_id, at)',
      ]);
    }
    expect((await verify()).ok).toBe(true);
  });

  it('appends keep going after a verification and the new entries verify', async () => {
    await test.container.trail.checkpoint();
    await test.container.trail.append((await import('./helpers.ts')).record(99));
    const report = await verify();
    expect(report).toMatchObject({ ok: true, entries: 21 });
  });
});
