import type { ColumnType, Kysely, Selectable } from 'kysely';

/** A jsonb array: read as an array, written as its JSON text. */
type JsonList = ColumnType<string[], string, string>;

/** The latest reveal of a subject by an actor (one row per pair; rows older than a day are dropped). */
export interface PiiRevealsTable {
  actorId: string;
  subjectId: string;
  revealedAt: Date;
}

export const EXPORT_STATUSES = ['requested', 'approved', 'downloaded'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

/** A two-person bulk export of personal data: who asked, why, whom, and who approved. IDs only. */
export interface PiiExportsTable {
  id: string;
  requestedBy: string;
  reason: string;
  /** JSON array of field names. */
  fields: JsonList;
  filterCountry: string | null;
  /** JSON array of subject IDs, fixed when requested. */
  subjectIds: JsonList;
  subjectCount: number;
  status: ExportStatus;
  createdAt: Date;
  expiresAt: Date;
  approvedBy: string | null;
  approvedAt: Date | null;
  downloadBy: Date | null;
  downloadedAt: Date | null;
}

export interface BudgetTables {
  piiReveals: PiiRevealsTable;
  piiExports: PiiExportsTable;
}

export type BudgetDb = Kysely<BudgetTables>;
export type PiiExportRow = Selectable<PiiExportsTable>;
