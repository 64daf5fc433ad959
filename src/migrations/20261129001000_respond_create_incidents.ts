import type { MigrationDb } from './migration-db.ts';

/**
 * Incidents (DESIGN §6, respond): opened by high-severity alerts or by security staff, moved through the
 * NIST SP 800-61 phases, with the alerts they gather and a timeline of everything done. IDs, rules,
 * states and staff notes only: never a customer's personal data.
 */
export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('respond_incidents')
    .addColumn('seq', 'serial', (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text')
    .addColumn('opened_by', 'text', (c) => c.notNull())
    .addColumn('aware_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('principals', 'text', (c) => c.notNull())
    .addColumn('networks', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('respond_incident_alerts')
    .addColumn('alert_id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('respond_timeline')
    .addColumn('seq', 'serial', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('ref', 'text')
    .execute();
  await db.schema
    .createIndex('respond_timeline_incident_idx')
    .on('respond_timeline')
    .columns(['incident_id', 'seq'])
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('respond_timeline').execute();
  await db.schema.dropTable('respond_incident_alerts').execute();
  await db.schema.dropTable('respond_incidents').execute();
}
