import { sql } from 'kysely';
import type { MigrationDb } from './migration-db.ts';

/**
 * Alerts waiting to be delivered to the alert webhook: one row per new alert, retried with backoff until
 * the receiver takes it (or given up on, and announced), so a SIEM that is down for an hour misses nothing.
 */
export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('watch_deliveries')
    .addColumn('alert_id', 'text', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_result', 'text')
    .addColumn('delivered_at', 'timestamptz')
    .execute();
  await sql`create index watch_deliveries_due_idx on watch_deliveries (due_at) where status = 'pending'`.execute(
    db,
  );
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('watch_deliveries').execute();
}
