import type { DrillClient } from './drill-client.ts';

/** What a scenario is given: the instance, and the tokens the drill holds. */
export interface DrillContext {
  readonly anonymous: DrillClient;
  /** A support staff member's token: only the stolen-token scenario uses it (it is what was stolen). */
  readonly staffToken: string | null;
  /**
   * The referee's security token: used only to score (alerts, incidents, scope, notices), never to attack.
   * Without it, detection and scope are reported as unknown.
   */
  readonly refereeToken: string | null;
  /** How many victims a scenario signs up (more than the budgets it tests). */
  readonly victims: number;
  /** Records a personal value the drill typed in (the dump scenario's ground truth). */
  plant(value: string): void;
  readonly planted: ReadonlySet<string>;
  /**
   * Values the platform keeps in the clear on purpose (a staff member's stated reason, in the trail): the
   * dump scenario must find these, proving its scan reads table contents at all.
   */
  control(value: string): void;
  readonly controls: ReadonlySet<string>;
  /** A database dump or the embedded data directory to search (`--dump`, or the spawned instance's). */
  readonly dumpPath: string | null;
  readonly log: (line: string) => void;
}

/** One scenario's scorecard line. */
export interface ScenarioResult {
  readonly scenario: string;
  /** Records of other people the attacker obtained (each person's data counts once). */
  readonly obtained: number;
  /** From the first attack request to the first alert the referee sees; null: none seen (or no referee). */
  readonly detectMs: number | null;
  /** From the first attack request to the attacker being refused for good; null: never. */
  readonly containMs: number | null;
  readonly incidentOpened: boolean | null;
  /** The incident's scope against the drill's own ground truth. */
  readonly scopePrecision: number | null;
  readonly scopeRecall: number | null;
  readonly noticesRight: boolean | null;
  readonly pass: boolean;
  readonly reason: string;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  run(context: DrillContext): Promise<ScenarioResult>;
}

export const blank = (scenario: string) => ({
  scenario,
  obtained: 0,
  detectMs: null,
  containMs: null,
  incidentOpened: null,
  scopePrecision: null,
  scopeRecall: null,
  noticesRight: null,
});
