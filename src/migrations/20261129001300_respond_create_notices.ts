import type { MigrationDb } from './migration-db.ts';

/**
 * Breach notices (DESIGN §6): the staff's assessment of an incident, and one row per notice drafted — to
 * each affected person and to each regulator — with who drafted it, who approved it, and its outbox
 * message. A person's notice holds their ID, country, language and which kinds of their data: never the
 * data itself. A regulator's report holds counts and the organisation's own contact details.
 */
export async function up(db: MigrationDb): Promise<void> {
  await db.schema.alterTable('respond_incidents').addColumn('assessment', 'text').execute();
  await db.schema
    .createTable('respond_notices')
    .addColumn('seq', 'serial', (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('audience', 'text', (c) => c.notNull())
    // A person's user ID, or a regulator's obligation key (`uk`, `eu-DE`): one notice each per incident.
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('country', 'text')
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('drafted_by', 'text', (c) => c.notNull())
    .addColumn('drafted_at', 'timestamptz', (c) => c.notNull())
    // Every notice of one drafting shares it: an approval names the drafts its approver read.
    .addColumn('draft_batch', 'text', (c) => c.notNull())
    .addColumn('approved_by', 'text')
    .addColumn('approved_at', 'timestamptz')
    .addColumn('message_id', 'text')
    .addColumn('queued_at', 'timestamptz')
    .addColumn('sent_at', 'timestamptz')
    .addColumn('delivery', 'text')
    .addColumn('filed_by', 'text')
    .addColumn('filed_at', 'timestamptz')
    .addColumn('filed_reference', 'text')
    .addColumn('filed_stage', 'text')
    .execute();
  await db.schema
    .createIndex('respond_notices_recipient_idx')
    .on('respond_notices')
    .columns(['incident_id', 'audience', 'recipient'])
    .unique()
    .execute();
  await db.schema
    .createIndex('respond_notices_status_idx')
    .on('respond_notices')
    .columns(['status', 'incident_id', 'seq'])
    .execute();
  await db.schema
    .createIndex('respond_notices_message_idx')
    .on('respond_notices')
    .column('message_id')
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('respond_notices').execute();
  await db.schema.alterTable('respond_incidents').dropColumn('assessment').execute();
}
