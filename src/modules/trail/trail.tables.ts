import type { ColumnType, Kysely } from 'kysely';

type GeneratedOnly<T> = ColumnType<T, never, never>;

/** One entry: `body` is what is hashed; every other column is generated from it by the database. */
export interface TrailEntriesTable {
  seq: number;
  hash: string;
  body: string;
  prevHash: GeneratedOnly<string>;
  at: GeneratedOnly<Date>;
  actorKind: GeneratedOnly<string>;
  actorId: GeneratedOnly<string | null>;
  action: GeneratedOnly<string>;
  subjects: GeneratedOnly<string[]>;
  fields: GeneratedOnly<string[]>;
}

export interface TrailCheckpointsTable {
  seq: number;
  headHash: string;
  at: Date;
  kid: string;
  jws: string;
}

export interface TrailArchivesTable {
  upToSeq: number;
  headHash: string;
  entries: number;
  archivedAt: Date;
  fileName: string;
}

export interface TrailTables {
  trailEntries: TrailEntriesTable;
  trailCheckpoints: TrailCheckpointsTable;
  trailArchives: TrailArchivesTable;
}

export type TrailDb = Kysely<TrailTables>;
