import { sql } from 'kysely';
import type { MigrationDb } from './migration-db.ts';

/**
 * Second factors, recovery, throttling, step-up and service keys. API sessions now carry signed access
 * tokens (found by the session ID they name), so only web sessions keep a token digest.
 */
export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .alterTable('users')
    // Set by "this wasn't me" or an operator: no password login until the password is reset.
    .addColumn('must_reset_password', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('password_changed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .alterTable('sessions')
    .alterColumn('token_hash', (c) => c.dropNotNull())
    .execute();
  await db.schema
    .alterTable('sessions')
    // When the holder last proved who they are (login or step-up): sensitive actions need it recent.
    .addColumn('authenticated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // How: 'pwd', 'pwd+totp', 'pwd+recovery', 'pwd+passkey', 'passkey'.
    .addColumn('methods', 'text', (c) => c.notNull().defaultTo('pwd'))
    // A staff session opened before any second factor exists may only enrol one.
    .addColumn('enrolment_only', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('device_index', 'text')
    .addColumn('country', 'char(2)')
    .execute();

  // Every refresh token ever issued to a session (its family); any used one presented again revokes it.
  await db.schema
    .createTable('refresh_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull().references('sessions.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('used_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('refresh_tokens_session_idx')
    .on('refresh_tokens')
    .column('session_id')
    .execute();

  await db.schema
    .alterTable('login_events')
    .addColumn('method', 'text', (c) => c.notNull().defaultTo('password'))
    .addColumn('outcome', 'text', (c) => c.notNull().defaultTo('ok'))
    .addColumn('user_agent_enc', 'text')
    .addColumn('device_index', 'text')
    .addColumn('country', 'char(2)')
    .execute();

  await db.schema
    .createTable('totp_factors')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('secret_enc', 'text', (c) => c.notNull())
    .addColumn('confirmed_at', 'timestamptz')
    // The last 30-second step accepted: a code is good once (RFC 6238 §5.2).
    .addColumn('last_step', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('recovery_codes')
    .addColumn('code_index', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('recovery_codes_user_idx').on('recovery_codes').column('user_id').execute();

  // Single-use secrets sent by mail or handed to a client mid-login; only digests are kept.
  await db.schema
    .createTable('one_time_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`purpose in ('password_reset', 'mfa_login', 'not_me', 'email_change_new', 'email_change_old')`,
        ),
    )
    .addColumn('subject_id', 'text')
    .addColumn('detail', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('one_time_tokens_user_idx')
    .on('one_time_tokens')
    .columns(['user_id', 'purpose'])
    .execute();

  await db.schema
    .createTable('email_changes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('new_email_enc', 'text', (c) => c.notNull())
    .addColumn('new_email_index', 'text', (c) => c.notNull())
    .addColumn('old_confirmed_at', 'timestamptz')
    .addColumn('new_confirmed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('completed_at', 'timestamptz')
    .execute();

  // Progressive delays per account and per source network; shared by every node through the database.
  await db.schema
    .createTable('auth_throttle')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_failure_at', 'timestamptz', (c) => c.notNull())
    .addColumn('blocked_until', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // Shown in listings and in the key itself, so a leaked key can be found and revoked.
    .addColumn('prefix', 'text', (c) => c.notNull().unique())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('last_used_at', 'timestamptz')
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  for (const table of [
    'api_keys',
    'auth_throttle',
    'email_changes',
    'one_time_tokens',
    'recovery_codes',
    'totp_factors',
    'refresh_tokens',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
