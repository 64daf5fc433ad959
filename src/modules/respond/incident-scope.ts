import type { Clock } from '../../platform/clock.ts';
import { withTransaction } from '../../platform/db/index.ts';
import { categoryOf } from './field-categories.ts';
import type { RespondDb } from './respond.tables.ts';

/** The trail's answer: which people's which fields the principals were shown in the window, and where. */
export interface TrailScope {
  readonly subjects: readonly { subjectId: string; fields: string[]; evidence: number[] }[];
}

export interface ScopeDeps {
  readonly clock: Clock;
  /** trail.scope, asked by the system on the incident's behalf (the question is itself recorded). */
  readonly trailScope: (principals: readonly string[], from: Date, to: Date) => Promise<TrailScope>;
  /** Each person's country (identity). */
  readonly countriesOf: (subjectIds: readonly string[]) => Promise<Map<string, string>>;
}

/** Counts only: the incident shows how many people, which kinds of data, which countries — never who. */
export interface ScopeSummary {
  readonly from: Date;
  readonly to: Date;
  readonly principals: string[];
  readonly computedAt: Date;
  readonly people: number;
  readonly byField: Record<string, number>;
  readonly byCategory: Record<string, number>;
  readonly byCountry: Record<string, number>;
}

export interface ScopedSubject {
  readonly subjectId: string;
  readonly fields: string[];
  readonly evidence: number[];
  readonly country: string | null;
}

/** Principals the trail knows as actors: people and service keys (networks are not principals). */
export const isPrincipalId = (id: string) => /^(usr|key)_[0-9a-z]{26}$/.test(id);

const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/** Computes the scope from the trail and stores it on the incident, replacing the previous one. */
export async function storeScope(
  db: RespondDb,
  deps: ScopeDeps,
  incidentId: string,
  window: { principals: string[]; from: Date; to: Date },
): Promise<ScopeSummary> {
  const scope = await deps.trailScope(window.principals, window.from, window.to);
  const countries = await deps.countriesOf(scope.subjects.map((s) => s.subjectId));
  const computedAt = deps.clock.now();
  const counts = countScope(scope.subjects, countries);
  await withTransaction(db, async (trx) => {
    await trx.deleteFrom('respondIncidentSubjects').where('incidentId', '=', incidentId).execute();
    for (let at = 0; at < scope.subjects.length; at += 500) {
      await trx
        .insertInto('respondIncidentSubjects')
        .values(
          scope.subjects.slice(at, at + 500).map((subject) => ({
            incidentId,
            subjectId: subject.subjectId,
            fields: JSON.stringify(subject.fields),
            evidence: JSON.stringify(subject.evidence),
            country: countries.get(subject.subjectId) ?? null,
          })),
        )
        .execute();
    }
    await trx
      .updateTable('respondIncidents')
      .set({
        scopeFrom: window.from,
        scopeTo: window.to,
        scopePrincipals: JSON.stringify(window.principals),
        scopeComputedAt: computedAt,
        scopeCounts: JSON.stringify(counts),
      })
      .where('id', '=', incidentId)
      .execute();
  });
  return { ...window, principals: [...window.principals], computedAt, ...counts };
}

type ScopeCounts = Pick<ScopeSummary, 'people' | 'byField' | 'byCategory' | 'byCountry'>;

function countScope(subjects: TrailScope['subjects'], countries: Map<string, string>): ScopeCounts {
  const byField: Record<string, number> = {};
  const byCategory: Record<string, number> = {};
  const byCountry: Record<string, number> = {};
  for (const subject of subjects) {
    for (const field of subject.fields) bump(byField, field);
    for (const category of new Set(subject.fields.map(categoryOf))) bump(byCategory, category);
    bump(byCountry, countries.get(subject.subjectId) ?? 'unknown');
  }
  return { people: subjects.length, byField, byCategory, byCountry };
}

/** The stored scope's subjects (for notices and the evidence view). */
export async function scopedSubjects(db: RespondDb, incidentId: string): Promise<ScopedSubject[]> {
  const rows = await db
    .selectFrom('respondIncidentSubjects')
    .select(['subjectId', 'fields', 'evidence', 'country'])
    .where('incidentId', '=', incidentId)
    .orderBy('subjectId')
    .execute();
  return rows.map((row) => ({
    subjectId: row.subjectId,
    fields: JSON.parse(row.fields) as string[],
    evidence: JSON.parse(row.evidence) as number[],
    country: row.country,
  }));
}

/** The stored scope as counts; null before it was first computed. */
export async function readScope(db: RespondDb, incidentId: string): Promise<ScopeSummary | null> {
  const incident = await db
    .selectFrom('respondIncidents')
    .select(['scopeFrom', 'scopeTo', 'scopePrincipals', 'scopeComputedAt', 'scopeCounts'])
    .where('id', '=', incidentId)
    .executeTakeFirst();
  if (!incident?.scopeFrom || !incident.scopeTo || !incident.scopeComputedAt || !incident.scopeCounts) {
    return null;
  }
  return {
    from: incident.scopeFrom,
    to: incident.scopeTo,
    principals: JSON.parse(incident.scopePrincipals ?? '[]') as string[],
    computedAt: incident.scopeComputedAt,
    ...(JSON.parse(incident.scopeCounts) as ScopeCounts),
  };
}
