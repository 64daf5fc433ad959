import fs from 'node:fs';
import { sql } from 'kysely';
import pg from 'pg';
import { checkpointFile, type TrailRecord } from '../../src/modules/trail/index.ts';
import { sha256Base64url } from '../../src/modules/vault/index.ts';
import type { TestApp } from '../helpers/test-app.ts';
import { engine } from '../helpers/test-database.ts';

/**
 * SQL as a database superuser who switches the append-only trigger off for the session
 * (`session_replication_role = replica`): the attacker the hash chain and checkpoints exist for.
 */
export async function asSuperuser(test: TestApp, statements: string[]): Promise<void> {
  if (engine === 'postgres') {
    const client = new pg.Client({ connectionString: test.config.databaseUrl?.reveal() });
    await client.connect();
    try {
      await client.query('set session_replication_role = replica');
      for (const statement of statements) await client.query(statement);
    } finally {
      await client.end();
    }
    return;
  }
  // PGlite runs as its superuser; the setting is per session, and PGlite has one.
  const db = test.container.database.db;
  await db.transaction().execute(async (trx) => {
    await sql`set local session_replication_role = replica`.execute(trx);
    for (const statement of statements) await sql.raw(statement).execute(trx);
  });
}

export function record(i: number, subject = `usr_${'0'.repeat(25)}${i % 10}`): TrailRecord {
  return {
    actor: {
      kind: 'staff',
      id: 'usr_0000000000000000000000staff',
      role: 'support',
      session: null,
      network: '10.0.0.0/24',
    },
    action: 'pii.revealed',
    target: { type: 'user', id: subject },
    subjects: [subject],
    fields: ['email', 'phone'],
    purpose: `ticket ${i}`,
    result: 'success',
    requestId: `req_${String(i).padStart(26, '0')}`,
  };
}

/** A fresh trail of `count` entries (everything before is wiped as the superuser). */
export async function freshTrail(test: TestApp, count: number): Promise<void> {
  await asSuperuser(test, [
    'delete from trail_entries',
    'delete from trail_checkpoints',
    'delete from trail_archives',
  ]);
  fs.rmSync(checkpointFile(test.config.dataDir), { force: true });
  for (let i = 1; i <= count; i += 1) await test.container.trail.append(record(i));
}

/** A body the way the application would have written it, re-hashed: a forger who knows the format. */
export function forge(prev: string, seq: number, body: unknown[]): { body: string; hash: string } {
  const copy = [...body];
  copy[0] = prev;
  copy[1] = seq;
  const text = JSON.stringify(copy);
  return { body: text, hash: sha256Base64url(text) };
}

export async function rows(test: TestApp) {
  return test.container.database.db
    .selectFrom('trailEntries')
    .select(['seq', 'hash', 'body'])
    .orderBy('seq')
    .execute() as Promise<{ seq: number; hash: string; body: string }[]>;
}

export const q = (value: string) => `'${value.replaceAll("'", "''")}'`;
