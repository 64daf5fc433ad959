import { sql } from 'kysely';
import type { MigrationDb } from './migration-db.ts';

export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('vault_data_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().unique())
    .addColumn('wrapped_key', 'text')
    .addColumn('kek_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('shredded_at', 'timestamptz')
    // A shredded key has no key material left; a live key must have it.
    .addCheckConstraint(
      'vault_data_keys_shred_consistent',
      sql`(shredded_at is null) = (wrapped_key is not null)`,
    )
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('vault_data_keys').execute();
}
