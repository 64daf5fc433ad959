import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Config } from '../../config/index.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import { PG_INT8_OID, parseInt8 } from './types.ts';

/**
 * A database handle whose table types are not known here: each module narrows it to its own tables
 * (`Kysely<OrdersTables>`), so a module cannot even name another module's tables.
 */
// biome-ignore lint/suspicious/noExplicitAny: the composition root is the one place without table types.
export type AnyDb = Kysely<any>;

export interface Database {
  readonly db: AnyDb;
  readonly kind: 'pglite' | 'postgres';
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PGlite only: keep everything in memory (tests). */
  readonly inMemory?: boolean;
  /** Pool size per process (PostgreSQL). */
  readonly poolSize?: number;
}

const plugins = [new CamelCasePlugin()];

export async function openDatabase(config: Config, options: DatabaseOptions = {}): Promise<Database> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl.reveal(), options);
  return openPglite(options.inMemory ? null : path.join(config.dataDir, 'pgdata'));
}

export function openPostgres(connectionString: string, options: DatabaseOptions = {}): Database {
  const pool = new pg.Pool({
    connectionString,
    max: options.poolSize ?? 10,
    // A runaway query must not hold a connection forever; 15 s is far above any request's needs.
    statement_timeout: 15_000,
    idle_in_transaction_session_timeout: 30_000,
    connectionTimeoutMillis: 5_000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === PG_INT8_OID
          ? parseInt8
          : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its server must not crash the process; the next query reports the fault.
  pool.on('error', () => {});
  const db = new Kysely({ dialect: new PostgresDialect({ pool }), plugins });
  return { db, kind: 'postgres', close: () => db.destroy() };
}

async function openPglite(directory: string | null): Promise<Database> {
  if (directory) fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
  const pglite = directory ? new PGlite(directory) : new PGlite();
  await pglite.waitReady;
  const db = new Kysely({ dialect: new PGliteDialect(pglite), plugins });
  return { db, kind: 'pglite', close: () => db.destroy() };
}
