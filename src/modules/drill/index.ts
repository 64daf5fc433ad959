/**
 * Drills (DESIGN §7): real API breaches replayed against a running instance from outside, scored on what
 * the attacker obtained and how the platform answered. Speaks only HTTP to the instance.
 */
import { DrillClient } from './drill-client.ts';
import { blank, type DrillContext, type Scenario, type ScenarioResult } from './scenario.ts';
import { dump } from './scenarios/dump.ts';
import { enumerate } from './scenarios/enumerate.ts';
import { lookup } from './scenarios/lookup.ts';
import { massAssignment } from './scenarios/mass-assignment.ts';
import { money } from './scenarios/money.ts';
import { scrape } from './scenarios/scrape.ts';
import { ssrf } from './scenarios/ssrf.ts';
import { stolenStaffToken } from './scenarios/stolen-staff-token.ts';
import { stuffing } from './scenarios/stuffing.ts';
import { spawnInstance } from './spawn-instance.ts';

export { recordDrillRun, registerDrillHistory } from './drill-history.ts';
export {
  createDrillSchedule,
  type DrillSchedule,
  registerDrillSchedule,
  SCHEDULABLE,
} from './drill-schedule.ts';
export type { ScenarioResult } from './scenario.ts';
export { renderScorecard, type ScorecardFormat } from './scorecard.ts';

export const SCENARIOS: readonly Scenario[] = [
  enumerate,
  lookup,
  stuffing,
  stolenStaffToken,
  scrape,
  massAssignment,
  money,
  ssrf,
  // Last: it searches the database for everything the scenarios before it typed in.
  dump,
];

export interface DrillOptions {
  readonly scenario: string;
  readonly url?: string;
  readonly spawn?: boolean;
  readonly staffToken?: string;
  readonly refereeToken?: string;
  readonly victims?: number;
  /** A pg_dump file or the embedded data directory to search (the dump scenario). */
  readonly dumpPath?: string;
  readonly log?: (line: string) => void;
}

/** The scenarios a name stands for: one, a comma-separated list, or `all`. */
export function scenariosNamed(name: string): Scenario[] {
  if (name === 'all') return [...SCENARIOS];
  return name.split(',').map((id) => {
    const found = SCENARIOS.find((s) => s.id === id.trim());
    if (!found)
      throw new Error(`unknown scenario "${id}": one of ${SCENARIOS.map((s) => s.id).join(', ')}, or all`);
    return found;
  });
}

/** Runs the scenarios against the URL (or a spawned instance) one after another. */
export async function runDrill(options: DrillOptions): Promise<ScenarioResult[]> {
  const scenarios = scenariosNamed(options.scenario);
  const log = options.log ?? (() => {});
  const instance = options.spawn ? await spawnInstance() : null;
  const url = instance?.url ?? options.url;
  if (!url) throw new Error('give --url URL, or --spawn');
  try {
    const planted = new Set<string>();
    const controls = new Set<string>();
    const context: DrillContext = {
      anonymous: new DrillClient(url),
      plant: (value) => planted.add(value),
      planted,
      control: (value) => controls.add(value),
      controls,
      // Read when the dump scenario runs: a spawned instance dumps itself at that moment.
      get dumpPath() {
        return instance ? instance.dump() : (options.dumpPath ?? null);
      },
      staffToken: instance?.supportToken ?? options.staffToken ?? null,
      refereeToken: instance?.refereeToken ?? options.refereeToken ?? null,
      victims: options.victims ?? (instance ? 8 : 60),
      log,
    };
    const results: ScenarioResult[] = [];
    for (const scenario of scenarios) {
      log(`drill: ${scenario.id} (${scenario.title})`);
      try {
        results.push(await scenario.run(context));
      } catch (error) {
        results.push({
          ...blank(scenario.id),
          pass: false,
          reason: `the drill could not run: ${error instanceof Error ? error.message : String(error)}`,
        });
      }
    }
    // A scored run against a live instance joins its history; the referee is who ran it.
    if (!instance && context.refereeToken) {
      const recorded = await context.anonymous
        .as(context.refereeToken)
        .post('/v1/security/drills', { results });
      log(
        recorded.status === 201
          ? `drill: recorded in the instance's history as ${(recorded.body as { id: string }).id}`
          : `drill: the instance did not record the run (${recorded.status})`,
      );
    }
    return results;
  } finally {
    await instance?.stop();
  }
}
