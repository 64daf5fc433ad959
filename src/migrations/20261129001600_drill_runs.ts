import type { MigrationDb } from './migration-db.ts';

/** Drill history: every scored drill run against this instance, who ran it, and its scorecard. */
export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('drill_runs')
    .addColumn('seq', 'serial', (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('ran_by', 'text', (c) => c.notNull())
    .addColumn('ran_at', 'timestamptz', (c) => c.notNull())
    .addColumn('pass', 'boolean', (c) => c.notNull())
    .addColumn('results', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('drill_runs').execute();
}
