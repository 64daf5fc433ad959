import type { RespondDb, TimelineRow } from './respond.tables.ts';

export interface TimelineEntry {
  readonly at: Date;
  readonly kind: TimelineRow['kind'];
  readonly actorId: string;
  readonly text: string;
  readonly ref: string | null;
}

/** One line on an incident's timeline, in the caller's transaction (texts are cut at 2,000 characters). */
export async function addToTimeline(
  handle: RespondDb,
  incidentId: string,
  entry: TimelineEntry,
): Promise<void> {
  await handle
    .insertInto('respondTimeline')
    .values({
      incidentId,
      at: entry.at,
      kind: entry.kind,
      actorId: entry.actorId,
      text: entry.text.slice(0, 2_000),
      ref: entry.ref,
    })
    .execute();
}

export function readTimeline(handle: RespondDb, incidentId: string): Promise<TimelineEntry[]> {
  return handle
    .selectFrom('respondTimeline')
    .select(['at', 'kind', 'actorId', 'text', 'ref'])
    .where('incidentId', '=', incidentId)
    .orderBy('seq')
    .execute();
}
