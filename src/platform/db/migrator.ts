import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import { migrations } from '../../migrations/index.ts';

class StaticProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations;
  }
}

function migrator(db: Kysely<unknown>): Migrator {
  return new Migrator({ db, provider: new StaticProvider(), migrationTableName: 'schema_migrations' });
}

export interface MigrationOutcome {
  readonly applied: readonly string[];
}

/** Apply every pending migration, under Kysely's advisory lock, so concurrent starts cannot race. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<MigrationOutcome> {
  const { error, results } = await migrator(db).migrateToLatest();
  if (error) throw new Error('database migration failed', { cause: error });
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

/** Names of migrations that exist in code but are not applied yet. */
export async function pendingMigrations(db: Kysely<unknown>): Promise<string[]> {
  const all = await migrator(db).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
