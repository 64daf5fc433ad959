import { sql } from 'kysely';
import type { MigrationDb } from './migration-db.ts';

/**
 * WebAuthn passkeys (second factor and passwordless login) and the challenges they answer. A challenge is
 * good once and for two minutes; a credential's public key is public, its label is the owner's free text.
 */
export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('passkeys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    // The authenticator's credential ID, base64url: what an assertion names, so it must be unique.
    .addColumn('credential_id', 'text', (c) => c.notNull().unique())
    // COSE public key, base64url.
    .addColumn('public_key', 'text', (c) => c.notNull())
    // The authenticator's signature counter: a value that does not grow hints at a cloned authenticator.
    .addColumn('counter', 'bigint', (c) => c.notNull().defaultTo(0))
    // Comma-separated hints for the browser (usb, nfc, internal, hybrid …).
    .addColumn('transports', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('device_type', 'text', (c) =>
      c.notNull().check(sql`device_type in ('singleDevice', 'multiDevice')`),
    )
    .addColumn('backed_up', 'boolean', (c) => c.notNull())
    // Whether the authenticator verified the user (PIN, biometrics) at registration and at the last use.
    .addColumn('user_verified', 'boolean', (c) => c.notNull())
    .addColumn('last_user_verified', 'boolean')
    // The owner's label ("work laptop"), sealed by the vault: free text may name a person.
    .addColumn('name_enc', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) =>
      c.notNull().defaultTo(sql`date_trunc('milliseconds', now())`),
    )
    .addColumn('last_used_at', 'timestamptz')
    // Set when an assertion's counter went backwards: that assertion was refused; the owner sees the flag.
    .addColumn('clone_suspected_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('passkeys_user_idx').on('passkeys').column('user_id').execute();

  await db.schema
    .createTable('webauthn_challenges')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // Null for a passwordless login, where the user is not known until the assertion names its credential.
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) =>
      c.notNull().check(sql`purpose in ('register', 'login', 'second_factor', 'step_up')`),
    )
    .addColumn('challenge', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('webauthn_challenges_expires_idx')
    .on('webauthn_challenges')
    .column('expires_at')
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('webauthn_challenges').execute();
  await db.schema.dropTable('passkeys').execute();
}
