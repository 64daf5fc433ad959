import type { Kysely } from 'kysely';

/** Migrations are frozen in time: they never import application table types, which change. */
// biome-ignore lint/suspicious/noExplicitAny: a migration sees the schema as it was, untyped.
export type MigrationDb = Kysely<any>;
