import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { engine } from '../helpers/test-database.ts';
import { record } from './helpers.ts';

const GRANTS = path.resolve(import.meta.dirname, '../../scripts/trail-grants.sql');

if (engine === 'postgres') {
  describe('the application role may only read and append the trail (PostgreSQL, scripts/trail-grants.sql)', () => {
    let test: TestApp;
    let client: pg.Client;

    beforeAll(async () => {
      test = await createTestApp();
      await test.container.trail.append(record(1));
      await test.container.trail.checkpoint();
      client = new pg.Client({ connectionString: test.config.databaseUrl?.reveal() });
      await client.connect();
    });
    afterAll(async () => {
      await client.end();
      await test.close();
    });

    it('as bulwark_app: select and insert work; update, delete and truncate are refused by privilege', async () => {
      // Roles are cluster-wide: everything happens in a transaction that is rolled back.
      await client.query('begin');
      try {
        await client.query(fs.readFileSync(GRANTS, 'utf8'));
        await client.query('set local role bulwark_app');
        expect(
          (await client.query('select count(*)::int as n from trail_entries')).rows[0].n,
        ).toBeGreaterThan(0);
        const attempts = [
          'update trail_entries set hash = hash',
          'delete from trail_entries',
          'truncate trail_entries',
          'delete from trail_checkpoints',
          'delete from trail_archives',
        ];
        for (const statement of attempts) {
          await client.query('savepoint attempt');
          await expect(client.query(statement), statement).rejects.toThrow(/permission denied/);
          await client.query('rollback to savepoint attempt');
        }
        await client.query('reset role');
        await client.query('set local role bulwark_retention');
        await client.query('savepoint attempt');
        // The retention role has DELETE, and the trigger still refuses recent, unarchived entries.
        await expect(client.query('delete from trail_entries')).rejects.toThrow(/append-only/);
        await client.query('rollback to savepoint attempt');
      } finally {
        await client.query('rollback');
      }
    });
  });
}

describe(`grants script (${engine})`, () => {
  it('takes update, delete and truncate on every trail table away from the application role', () => {
    const revoke = fs
      .readFileSync(GRANTS, 'utf8')
      .split('\n')
      .find((line) => line.startsWith('revoke update, delete, truncate on'));
    expect(revoke).toMatch(/from bulwark_app;$/);
    for (const table of ['trail_entries', 'trail_checkpoints', 'trail_archives', 'vault_trail_keys']) {
      expect(revoke).toContain(table);
    }
  });
});
