import { sql } from 'kysely';
import type { MigrationDb } from './migration-db.ts';

/**
 * PII read budgets and two-person bulk exports (shield). Both hold IDs, times and staff's reasons only:
 * never a name, an address or any other value of the people concerned.
 */
export async function up(db: MigrationDb): Promise<void> {
  // One row per actor and subject, holding the latest reveal: the distinct subjects an actor revealed in
  // any window ending now are exactly the rows whose time falls inside it. Rows older than a day go.
  await db.schema
    .createTable('pii_reveals')
    // A staff member's user ID or a service key's ID.
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('revealed_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('pii_reveals_pkey', ['actor_id', 'subject_id'])
    .execute();
  await db.schema
    .createIndex('pii_reveals_actor_time_idx')
    .on('pii_reveals')
    .columns(['actor_id', 'revealed_at'])
    .execute();

  await db.schema
    .createTable('pii_exports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('requested_by', 'text', (c) => c.notNull().references('users.id'))
    // Why, in the requester's words: shown to the approver and recorded with every reveal.
    .addColumn('reason', 'text', (c) => c.notNull())
    // The fields each subject's entry holds (JSON array of names).
    .addColumn('fields', 'jsonb', (c) => c.notNull())
    // How the subjects were chosen: a country, or null for a list of IDs.
    .addColumn('filter_country', 'text')
    // The subjects, fixed when requested, so the approver approves exactly who will be read.
    .addColumn('subject_ids', 'jsonb', (c) => c.notNull())
    .addColumn('subject_count', 'integer', (c) => c.notNull().check(sql`subject_count > 0`))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('requested', 'approved', 'downloaded')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    // A request nobody approved by then cannot be approved any more.
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('approved_by', 'text', (c) => c.references('users.id'))
    .addColumn('approved_at', 'timestamptz')
    // The requester downloads once, before this.
    .addColumn('download_by', 'timestamptz')
    .addColumn('downloaded_at', 'timestamptz')
    // The two-person rule, again where no application bug can skip it.
    .addCheckConstraint('pii_exports_two_people', sql`approved_by is null or approved_by <> requested_by`)
    .execute();
  await db.schema.createIndex('pii_exports_created_idx').on('pii_exports').column('created_at').execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('pii_exports').execute();
  await db.schema.dropTable('pii_reveals').execute();
}
