import { sql } from 'kysely';
import type { MigrationDb } from './migration-db.ts';

export async function up(db: MigrationDb): Promise<void> {
  // Access-token signing keys. Public keys in the clear (they are published as a JWK set); the private key
  // of the one active key wrapped by a master key version, bound to its kid. A superseded key loses its
  // private key at once and stays verifiable until `retires_at`.
  await db.schema
    .createTable('vault_signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('private_enc', 'text')
    .addColumn('master_version', 'integer')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('activated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('retires_at', 'timestamptz')
    // The active key (no retirement set) has its private key; a superseded one has none left.
    .addCheckConstraint(
      'vault_signing_keys_private_consistent',
      sql`(retires_at is null) = (private_enc is not null and master_version is not null)`,
    )
    .execute();
  // At most one active key: two nodes rotating at once cannot both win.
  await sql`create unique index vault_signing_keys_one_active on vault_signing_keys ((retires_at is null)) where retires_at is null`.execute(
    db,
  );
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('vault_signing_keys').execute();
}
