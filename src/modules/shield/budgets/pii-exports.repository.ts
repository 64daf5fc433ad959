import type { Insertable } from 'kysely';
import type { BudgetDb, PiiExportRow, PiiExportsTable } from './budgets.tables.ts';

export async function insertExport(db: BudgetDb, row: Insertable<PiiExportsTable>): Promise<void> {
  await db.insertInto('piiExports').values(row).execute();
}

export function findExport(db: BudgetDb, id: string): Promise<PiiExportRow | undefined> {
  return db.selectFrom('piiExports').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Requests still waiting for a second person, or approved and not downloaded: newest first. */
export function listOpenExports(db: BudgetDb, now: Date, limit: number): Promise<PiiExportRow[]> {
  return db
    .selectFrom('piiExports')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'requested'), eb('expiresAt', '>', now)]),
        eb.and([eb('status', '=', 'approved'), eb('downloadBy', '>', now)]),
      ]),
    )
    .orderBy('createdAt', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/**
 * Approves in one statement, so two approvers racing get one approval: only a live request, and only by
 * someone other than its requester (the table's check says so too).
 */
export function approveExport(
  db: BudgetDb,
  id: string,
  approverId: string,
  now: Date,
  downloadBy: Date,
): Promise<PiiExportRow | undefined> {
  return db
    .updateTable('piiExports')
    .set({ status: 'approved', approvedBy: approverId, approvedAt: now, downloadBy })
    .where('id', '=', id)
    .where('status', '=', 'requested')
    .where('expiresAt', '>', now)
    .where('requestedBy', '<>', approverId)
    .returningAll()
    .executeTakeFirst();
}

/** Claims the one download: by the requester, approved, within its window. Undefined when any fails. */
export function claimDownload(
  db: BudgetDb,
  id: string,
  requesterId: string,
  now: Date,
): Promise<PiiExportRow | undefined> {
  return db
    .updateTable('piiExports')
    .set({ status: 'downloaded', downloadedAt: now })
    .where('id', '=', id)
    .where('requestedBy', '=', requesterId)
    .where('status', '=', 'approved')
    .where('downloadBy', '>', now)
    .returningAll()
    .executeTakeFirst();
}
