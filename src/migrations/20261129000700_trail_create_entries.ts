import { sql } from 'kysely';
import type { MigrationDb } from './migration-db.ts';

/**
 * The trail (DESIGN §3, §6): an append-only, hash-chained record of every sensitive read and privileged
 * action, signed checkpoints of it, and the vault's keys that sign them. Entries hold IDs and field names,
 * never values.
 *
 * `body` is the canonical encoding that is hashed (a JSON array, see src/modules/trail/entry-codec.ts);
 * the other columns are generated from it, so searches use ordinary indexes and there is one truth to
 * verify. A trigger refuses UPDATE, DELETE and TRUNCATE for everyone, the owner included; only retention
 * (`bulwark trail prune`, archive first) may remove whole closed periods, by setting a transaction-local
 * flag the trigger checks.
 */
export async function up(db: MigrationDb): Promise<void> {
  const body = (path: string) => sql.raw(`((body::jsonb) ${path})`);
  await db.schema
    .createTable('trail_entries')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.generatedAlwaysAs(body('->> 0')).stored())
    .addColumn('at', 'timestamptz', (c) =>
      c.generatedAlwaysAs(sql`to_timestamp((${body('->> 2')})::bigint / 1000.0)`).stored(),
    )
    .addColumn('actor_kind', 'text', (c) => c.generatedAlwaysAs(body('->> 3')).stored())
    .addColumn('actor_id', 'text', (c) => c.generatedAlwaysAs(body('->> 4')).stored())
    .addColumn('action', 'text', (c) => c.generatedAlwaysAs(body('->> 8')).stored())
    .addColumn('subjects', 'jsonb', (c) => c.generatedAlwaysAs(body('-> 11')).stored())
    .addColumn('fields', 'jsonb', (c) => c.generatedAlwaysAs(body('-> 12')).stored())
    .execute();
  // Search by actor and time, and scope (an actor's reads in a window); by action and time; by subject.
  await db.schema
    .createIndex('trail_entries_actor_at_idx')
    .on('trail_entries')
    .columns(['actor_id', 'at'])
    .execute();
  await db.schema
    .createIndex('trail_entries_action_at_idx')
    .on('trail_entries')
    .columns(['action', 'at'])
    .execute();
  await db.schema.createIndex('trail_entries_at_idx').on('trail_entries').column('at').execute();
  await sql`create index trail_entries_subjects_idx on trail_entries using gin (subjects jsonb_path_ops)`.execute(
    db,
  );

  await db.schema
    .createTable('trail_checkpoints')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('head_hash', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('kid', 'text', (c) => c.notNull())
    // Compact JWS (EdDSA) over {seq, headHash, count, at}; the columns above are copies for queries.
    .addColumn('jws', 'text', (c) => c.notNull())
    .execute();

  // Closed periods exported by retention: the trail in the database starts after the newest of these.
  await db.schema
    .createTable('trail_archives')
    .addColumn('up_to_seq', 'bigint', (c) => c.primaryKey())
    .addColumn('head_hash', 'text', (c) => c.notNull())
    .addColumn('entries', 'bigint', (c) => c.notNull())
    .addColumn('archived_at', 'timestamptz', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('vault_trail_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('private_enc', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();

  // Append-only, enforced by the database for every role (a superuser can still disable the trigger:
  // that is what the hash chain and the signed checkpoints outside the database are for).
  await sql`
    create function trail_refuse_change() returns trigger language plpgsql as $$
    begin
      -- Retention only: whole entries older than a year (the shortest retention allowed) that an archive
      -- already holds. Anyone who can set the flag can do no more than the retention job does anyway.
      if tg_op = 'DELETE' and tg_table_name = 'trail_entries'
         and current_setting('bulwark.trail_prune', true) = 'on'
         and old.at < now() - interval '365 days'
         and old.seq <= (select coalesce(max(up_to_seq), 0) from trail_archives) then
        return old;
      end if;
      raise exception 'the trail is append-only: % on % refused', tg_op, tg_table_name
        using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  for (const table of ['trail_entries', 'trail_checkpoints', 'trail_archives']) {
    await sql`create trigger ${sql.id(`${table}_append_only`)} before update or delete on ${sql.table(table)}
      for each row execute function trail_refuse_change()`.execute(db);
    await sql`create trigger ${sql.id(`${table}_no_truncate`)} before truncate on ${sql.table(table)}
      for each statement execute function trail_refuse_change()`.execute(db);
  }
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('vault_trail_keys').execute();
  await db.schema.dropTable('trail_archives').execute();
  await db.schema.dropTable('trail_checkpoints').execute();
  await db.schema.dropTable('trail_entries').execute();
  await sql`drop function trail_refuse_change()`.execute(db);
}
