import { execFile } from 'node:child_process';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import type { App } from '../../platform/http/app-types.ts';
import { NoContent, Timestamp } from '../../platform/http/schema-types.ts';
import { staffOf } from '../identity/index.ts';
import type { ScenarioResult } from './scenario.ts';

/** Scenarios that need nothing but the URL: the instance can run them against itself, as an outsider. */
export const SCHEDULABLE = ['enumerate', 'lookup', 'stuffing', 'scrape', 'mass-assignment', 'money', 'ssrf'];

interface ScheduleTable {
  id: string;
  scenarios: string;
  everyHours: number;
  nextRunAt: Date;
  setBy: string;
}
type ScheduleDb = Kysely<{ drillSchedule: ScheduleTable }>;

const BIN = path.resolve(import.meta.dirname, '../../../bin/bulwark.js');
const HOUR = 3600_000;

export interface DrillScheduleDeps {
  readonly db: AnyDb;
  readonly clock: Clock;
  /** Records a run in the history (drill-history.ts). */
  readonly record: (ranBy: string, results: readonly ScenarioResult[]) => Promise<void>;
}

/** Runs `bulwark drill` in a child process against `url`: the schedule attacks from outside too. */
function runChild(scenarios: string[], url: string): Promise<ScenarioResult[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, 'drill', scenarios.join(','), '--url', url, '--format', 'json'],
      { timeout: 10 * 60_000, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout) => {
        try {
          resolve((JSON.parse(stdout) as { scenarios: ScenarioResult[] }).scenarios);
        } catch {
          reject(error ?? new Error('the scheduled drill printed no scorecard'));
        }
      },
    );
  });
}

export function createDrillSchedule(deps: DrillScheduleDeps) {
  const db = deps.db as unknown as ScheduleDb;
  return {
    get: () => db.selectFrom('drillSchedule').selectAll().where('id', '=', 'default').executeTakeFirst(),

    async set(scenarios: string[], everyHours: number, setBy: string): Promise<void> {
      const row = {
        id: 'default',
        scenarios: JSON.stringify(scenarios),
        everyHours,
        nextRunAt: new Date(deps.clock.now().getTime() + everyHours * HOUR),
        setBy,
      };
      await db
        .insertInto('drillSchedule')
        .values(row)
        .onConflict((c) => c.column('id').doUpdateSet(row))
        .execute();
    },

    clear: async () => {
      await db.deleteFrom('drillSchedule').where('id', '=', 'default').execute();
    },

    /**
     * Runs the schedule if it is due (one node claims it by moving its next run forward) and records the
     * scorecard; answers whether it ran. `force` runs it now (operators, tests).
     */
    async runDue(url: string, force = false): Promise<boolean> {
      const now = deps.clock.now();
      const schedule = await this.get();
      if (!schedule || (!force && schedule.nextRunAt > now)) return false;
      const claimed = await db
        .updateTable('drillSchedule')
        .set({ nextRunAt: new Date(now.getTime() + schedule.everyHours * HOUR) })
        .where('id', '=', 'default')
        .where('nextRunAt', '=', schedule.nextRunAt)
        .executeTakeFirst();
      if (claimed.numUpdatedRows === 0n) return false;
      const results = await runChild(JSON.parse(schedule.scenarios) as string[], url);
      await deps.record(`schedule:${schedule.setBy}`, results);
      return true;
    },
  };
}

export type DrillSchedule = ReturnType<typeof createDrillSchedule>;

const ScheduleView = Type.Object({
  scenarios: Type.Array(Type.String()),
  everyHours: Type.Integer(),
  nextRunAt: Timestamp,
  setBy: Type.String(),
});

/** The schedule's routes: read with security:read; set and cleared with security:contain and step-up. */
export function registerDrillSchedule(app: App, schedule: DrillSchedule): void {
  const tags = ['security: drills'];
  const change = { access: { permission: 'security:contain', stepUp: true } } as const;

  app.get('/v1/security/drills/schedule', {
    config: { access: { permission: 'security:read' } },
    schema: {
      tags,
      summary: 'The drill schedule (null when none)',
      response: { 200: Type.Object({ schedule: Type.Union([ScheduleView, Type.Null()]) }) },
    },
    handler: async () => {
      const row = await schedule.get();
      return {
        schedule: row
          ? {
              scenarios: JSON.parse(row.scenarios) as string[],
              everyHours: row.everyHours,
              nextRunAt: row.nextRunAt,
              setBy: row.setBy,
            }
          : null,
      };
    },
  });

  app.put('/v1/security/drills/schedule', {
    config: change,
    schema: {
      tags,
      summary: 'Run outsider drill scenarios against this instance every N hours; each run joins the history',
      description: `Scenarios that need nothing but the URL: ${SCHEDULABLE.join(', ')}. They sign up drill accounts here each run.`,
      body: Type.Object(
        {
          scenarios: Type.Array(Type.Union(SCHEDULABLE.map((s) => Type.Literal(s))), {
            minItems: 1,
            uniqueItems: true,
          }),
          everyHours: Type.Integer({ minimum: 1, maximum: 720 }),
        },
        { additionalProperties: false },
      ),
      response: { 204: NoContent },
    },
    handler: async (request, reply) => {
      await schedule.set(request.body.scenarios, request.body.everyHours, staffOf(request).userId);
      return reply.code(204).send();
    },
  });

  app.delete('/v1/security/drills/schedule', {
    config: change,
    schema: { tags, summary: 'Stop the scheduled drills', response: { 204: NoContent } },
    handler: async (_request, reply) => {
      await schedule.clear();
      return reply.code(204).send();
    },
  });
}
