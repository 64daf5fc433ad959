import type { MigrationDb } from './migration-db.ts';

/**
 * Route freezes (the kill switch, DESIGN §6): a path prefix made read-only or switched off while an
 * incident is contained, with who did it, why and when. Every node reads them every few seconds.
 */
export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('shield_route_freezes')
    .addColumn('prefix', 'text', (c) => c.primaryKey())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('frozen_by', 'text', (c) => c.notNull())
    .addColumn('frozen_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('shield_route_freezes').execute();
}
