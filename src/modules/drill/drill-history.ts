import { Type } from '@sinclair/typebox';
import type { Generated, Kysely } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import type { App } from '../../platform/http/app-types.ts';
import { Timestamp } from '../../platform/http/schema-types.ts';
import { newId } from '../../platform/ids.ts';
import { staffOf } from '../identity/index.ts';
import type { ScenarioResult } from './scenario.ts';

interface DrillRunsTable {
  seq: Generated<number>;
  id: string;
  ranBy: string;
  ranAt: Date;
  pass: boolean;
  results: string;
}
type HistoryDb = Kysely<{ drillRuns: DrillRunsTable }>;

import type { TSchema } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const Result = Type.Object(
  {
    scenario: Type.String({ pattern: '^[a-z][a-z-]{1,40}$' }),
    obtained: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    detectMs: Nullable(Type.Integer({ minimum: 0 })),
    containMs: Nullable(Type.Integer({ minimum: 0 })),
    incidentOpened: Type.Union([Type.Boolean(), Type.Null()]),
    scopePrecision: Nullable(Type.Number({ minimum: 0, maximum: 1 })),
    scopeRecall: Nullable(Type.Number({ minimum: 0, maximum: 1 })),
    noticesRight: Type.Union([Type.Boolean(), Type.Null()]),
    pass: Type.Boolean(),
    reason: Type.String({ maxLength: 1_000 }),
  },
  { additionalProperties: false },
);

const RunView = Type.Object({
  id: Type.String(),
  ranBy: Type.String(),
  ranAt: Timestamp,
  pass: Type.Boolean(),
  results: Type.Array(Result),
});

/** Per scenario over the runs listed: how many, how many passed, and whether the latest did. */
const Trend = Type.Record(
  Type.String(),
  Type.Object({ runs: Type.Integer(), passed: Type.Integer(), lastPassed: Type.Boolean() }),
);

/** Records one run's scorecard in the history. */
export async function recordDrillRun(
  deps: { db: AnyDb; clock: Clock },
  ranBy: string,
  results: readonly ScenarioResult[],
): Promise<string> {
  const id = newId('drillRun');
  await (deps.db as unknown as HistoryDb)
    .insertInto('drillRuns')
    .values({
      id,
      ranBy,
      ranAt: deps.clock.now(),
      pass: results.every((r) => r.pass),
      results: JSON.stringify(results),
    })
    .execute();
  return id;
}

/**
 * Drill history on the instance: `bulwark drill --referee-token` records each scored run here (who ran
 * it is the referee), and security staff read the runs and each scenario's trend.
 */
export function registerDrillHistory(app: App, deps: { db: AnyDb; clock: Clock }): void {
  const db = deps.db as unknown as HistoryDb;
  const tags = ['security: drills'];

  app.post('/v1/security/drills', {
    config: { access: { permission: 'security:contain' } },
    schema: {
      tags,
      summary: "Record a drill run's scorecard (bulwark drill does, with its referee token)",
      body: Type.Object(
        { results: Type.Array(Result, { minItems: 1, maxItems: 50 }) },
        { additionalProperties: false },
      ),
      response: { 201: Type.Object({ id: Type.String() }) },
    },
    handler: async (request, reply) => {
      const results = request.body.results as ScenarioResult[];
      return reply.code(201).send({ id: await recordDrillRun(deps, staffOf(request).userId, results) });
    },
  });

  app.get('/v1/security/drills', {
    config: { access: { permission: 'security:read' } },
    schema: {
      tags,
      summary: 'Drill runs, newest first, with each scenario’s trend',
      querystring: Type.Object(
        { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })) },
        { additionalProperties: false },
      ),
      response: { 200: Type.Object({ items: Type.Array(RunView), trend: Trend }) },
    },
    handler: async (request) => {
      const rows = await db
        .selectFrom('drillRuns')
        .selectAll()
        .orderBy('seq', 'desc')
        .limit(request.query.limit ?? 50)
        .execute();
      const items = rows.map((row) => ({
        id: row.id,
        ranBy: row.ranBy,
        ranAt: row.ranAt,
        pass: row.pass,
        results: JSON.parse(row.results) as ScenarioResult[],
      }));
      const trend: Record<string, { runs: number; passed: number; lastPassed: boolean }> = {};
      for (const run of items) {
        for (const result of run.results) {
          const entry = trend[result.scenario] ?? { runs: 0, passed: 0, lastPassed: result.pass };
          entry.runs += 1;
          if (result.pass) entry.passed += 1;
          trend[result.scenario] = entry;
        }
      }
      return { items, trend };
    },
  });
}
