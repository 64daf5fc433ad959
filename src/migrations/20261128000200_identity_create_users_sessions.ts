import { sql } from 'kysely';
import type { MigrationDb } from './migration-db.ts';

export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('shopper', 'staff')`))
    .addColumn('role', 'text', (c) =>
      c.check(sql`role is null or role in ('support', 'warehouse', 'finance', 'security', 'admin')`),
    )
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('active').check(sql`status in ('active', 'locked', 'deleted')`),
    )
    // Keyed blind index of the normalized e-mail: lookup without storing the address in the clear.
    .addColumn('email_index', 'text', (c) => c.notNull().unique())
    .addColumn('email_enc', 'text', (c) => c.notNull())
    .addColumn('full_name_enc', 'text', (c) => c.notNull())
    .addColumn('phone_enc', 'text')
    // Keyed blind index of the E.164 phone: staff look-up without plaintext. Not unique (families share).
    .addColumn('phone_index', 'text')
    .addColumn('country', 'char(2)', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull().defaultTo('en'))
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('users_role_matches_kind', sql`(kind = 'staff') = (role is not null)`)
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('api', 'web')`))
    // Only SHA-256 digests of the bearer secrets are stored; a dump yields no usable token.
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('refresh_hash', 'text', (c) => c.unique())
    // The refresh token this one replaced: seeing it again means a copy is in someone else's hands.
    .addColumn('previous_refresh_hash', 'text', (c) => c.unique())
    .addColumn('csrf_hash', 'text')
    .addColumn('user_agent_enc', 'text')
    .addColumn('ip_enc', 'text')
    // The /24 (IPv4) or /48 (IPv6) network, enough for analytics and detection, not for locating a home.
    .addColumn('network', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('refresh_expires_at', 'timestamptz')
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('sessions_user_id_idx').on('sessions').column('user_id').execute();
  await db.schema.createIndex('users_phone_index_idx').on('users').column('phone_index').execute();

  await db.schema
    .createTable('login_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('success', 'boolean', (c) => c.notNull())
    .addColumn('ip_enc', 'text', (c) => c.notNull())
    .addColumn('network', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`date_trunc('milliseconds', now())`))
    .execute();
  await db.schema
    .createIndex('login_events_user_idx')
    .on('login_events')
    .columns(['user_id', 'id'])
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('login_events').execute();
  await db.schema.dropTable('sessions').execute();
  await db.schema.dropTable('users').execute();
}
