import type { MigrationDb } from './migration-db.ts';

/**
 * An incident's breach scope, computed from the trail: which people's which fields were revealed or
 * returned to the suspect principals in the window, with the entries as evidence and each person's
 * country (for the notification rules). Subject IDs, field names, entry numbers: never the data itself.
 */
export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('respond_incident_subjects')
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('fields', 'text', (c) => c.notNull())
    .addColumn('evidence', 'text', (c) => c.notNull())
    .addColumn('country', 'text')
    .addPrimaryKeyConstraint('respond_incident_subjects_pk', ['incident_id', 'subject_id'])
    .execute();
  await db.schema.alterTable('respond_incidents').addColumn('scope_from', 'timestamptz').execute();
  await db.schema.alterTable('respond_incidents').addColumn('scope_to', 'timestamptz').execute();
  await db.schema.alterTable('respond_incidents').addColumn('scope_principals', 'text').execute();
  await db.schema.alterTable('respond_incidents').addColumn('scope_computed_at', 'timestamptz').execute();
  // The counts the incident shows, taken when the scope is computed (a breach may touch millions).
  await db.schema.alterTable('respond_incidents').addColumn('scope_counts', 'text').execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.alterTable('respond_incidents').dropColumn('scope_counts').execute();
  await db.schema.alterTable('respond_incidents').dropColumn('scope_computed_at').execute();
  await db.schema.alterTable('respond_incidents').dropColumn('scope_principals').execute();
  await db.schema.alterTable('respond_incidents').dropColumn('scope_to').execute();
  await db.schema.alterTable('respond_incidents').dropColumn('scope_from').execute();
  await db.schema.dropTable('respond_incident_subjects').execute();
}
