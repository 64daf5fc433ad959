import type { MigrationDb } from './migration-db.ts';

/**
 * Sources that must prove work before the credential routes answer them (the shield's challenge hook),
 * and the challenges already answered, so one solution is not replayed. Keys are client addresses or
 * networks in the shield's key form; answers are kept as digests of the token.
 */
export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('shield_suspects')
    // An address (`a:` key) or a /24 or /64 network (`n:` key).
    .addColumn('source', 'text', (c) => c.primaryKey())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('marked_at', 'timestamptz', (c) => c.notNull())
    .addColumn('until', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('shield_spent_challenges')
    .addColumn('token_digest', 'text', (c) => c.primaryKey())
    // After this the token is refused as expired anyway, so the row may go.
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('shield_spent_challenges_expiry_idx')
    .on('shield_spent_challenges')
    .column('expires_at')
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('shield_spent_challenges').execute();
  await db.schema.dropTable('shield_suspects').execute();
}
