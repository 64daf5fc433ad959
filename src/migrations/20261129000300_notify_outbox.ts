import { sql } from 'kysely';
import type { MigrationDb } from './migration-db.ts';

export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // Null for a bare address (sign-up attempt, reset for an unknown address): then the message has its own
    // data key, shredded once it is delivered, so the address does not outlive the message.
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('email')`))
    .addColumn('template', 'text', (c) => c.notNull())
    // Recipient address and message (links carry single-use secrets), sealed by the vault; cleared once the
    // message is sent or given up on.
    .addColumn('payload_enc', 'text')
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('pending').check(sql`status in ('pending', 'sending', 'sent', 'failed', 'dead')`),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // A code such as ECONNECTION or SMTP_550, never a server's reply text (it may echo the address).
    .addColumn('last_error_code', 'text')
    .addColumn('created_at', 'timestamptz', (c) =>
      c.notNull().defaultTo(sql`date_trunc('milliseconds', now())`),
    )
    .addColumn('sent_at', 'timestamptz')
    .execute();
  // Only rows still to deliver are indexed: the delivery worker's scan stays small however many were sent.
  await db.schema
    .createIndex('outbox_due_idx')
    .on('outbox')
    .column('next_attempt_at')
    .where(sql.ref('status'), 'in', ['pending', 'sending'])
    .execute();
  await db.schema.createIndex('outbox_user_idx').on('outbox').column('user_id').execute();

  await db.schema
    .createTable('notices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('template', 'text', (c) => c.notNull())
    // The message without its secrets (no link tokens), sealed under the user's data key.
    .addColumn('payload_enc', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) =>
      c.notNull().defaultTo(sql`date_trunc('milliseconds', now())`),
    )
    .addColumn('read_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('notices_user_created_idx')
    .on('notices')
    .columns(['user_id', 'created_at', 'id'])
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('notices').execute();
  await db.schema.dropTable('outbox').execute();
}
