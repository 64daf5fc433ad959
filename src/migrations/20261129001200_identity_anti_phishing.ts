import type { MigrationDb } from './migration-db.ts';

/** A phrase each person may choose, shown in every genuine message from Bulwark; sealed like an e-mail. */
export async function up(db: MigrationDb): Promise<void> {
  await db.schema.alterTable('users').addColumn('anti_phishing_enc', 'text').execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.alterTable('users').dropColumn('anti_phishing_enc').execute();
}
