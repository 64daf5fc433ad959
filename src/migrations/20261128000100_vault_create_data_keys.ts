import { sql } from 'kysely';
import type { MigrationDb } from './migration-db.ts';

export async function up(db: MigrationDb): Promise<void> {
  // Master key versions, each wrapped by the root key (BULWARK_MASTER_KEY or the key file); a KMS
  // provider keeps its versions in the KMS instead and leaves this table empty.
  await db.schema
    .createTable('vault_master_keys')
    .addColumn('version', 'integer', (c) => c.primaryKey().check(sql`version > 0`))
    .addColumn('wrapped_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('retired_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('vault_data_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().unique())
    .addColumn('wrapped_key', 'text')
    .addColumn('master_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('shredded_at', 'timestamptz')
    // A shredded key has no key material left; a live key must have it.
    .addCheckConstraint(
      'vault_data_keys_shred_consistent',
      sql`(shredded_at is null) = (wrapped_key is not null)`,
    )
    .execute();
  await db.schema
    .createIndex('vault_data_keys_version_idx')
    .on('vault_data_keys')
    .columns(['master_version', 'id'])
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('vault_data_keys').execute();
  await db.schema.dropTable('vault_master_keys').execute();
}
