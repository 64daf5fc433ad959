import { sql } from 'kysely';
import type { MigrationDb } from './migration-db.ts';

/**
 * Detection's alerts (one per rule and group, counting later firings) and the containments it applied.
 * Only IDs, networks and counts are stored; a containment is lifted, never deleted, so the history stays.
 */
export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('watch_alerts')
    .addColumn('seq', 'serial', (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('evidence', 'text', (c) => c.notNull())
    .addColumn('principals', 'text', (c) => c.notNull())
    .addColumn('networks', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('watch_containments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('alert_id', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('applied_at', 'timestamptz', (c) => c.notNull())
    .addColumn('until', 'timestamptz')
    .addColumn('lifted_at', 'timestamptz')
    .addColumn('lifted_by', 'text')
    .execute();
  // One live containment of a kind per target: applying it again (another rule, another node) is a no-op.
  await sql`create unique index watch_containments_live_idx on watch_containments (kind, target_type, target_id) where lifted_at is null`.execute(
    db,
  );
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('watch_containments').execute();
  await db.schema.dropTable('watch_alerts').execute();
}
