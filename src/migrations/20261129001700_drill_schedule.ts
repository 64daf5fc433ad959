import type { MigrationDb } from './migration-db.ts';

/** The drill schedule: which outsider scenarios the instance runs against itself, and how often. */
export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('drill_schedule')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('scenarios', 'text', (c) => c.notNull())
    .addColumn('every_hours', 'integer', (c) => c.notNull())
    .addColumn('next_run_at', 'timestamptz', (c) => c.notNull())
    .addColumn('set_by', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('drill_schedule').execute();
}
