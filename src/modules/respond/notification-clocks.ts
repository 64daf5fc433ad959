import type { FieldCategory } from './field-categories.ts';
import {
  type BreachFacts,
  type ClockKind,
  type Due,
  JURISDICTIONS,
  type JurisdictionId,
  type JurisdictionRule,
  type Requirement,
} from './notification-rules.ts';

export type ClockStatus = 'done' | 'overdue' | 'due' | 'due_now' | 'open';

export interface ObligationClock {
  readonly kind: ClockKind;
  readonly text: string;
  /** Null when the law sets no fixed time ("as soon as practicable") or the clock has not started. */
  readonly deadline: Date | null;
  readonly status: ClockStatus;
}

/** One regulator's view of the incident: must it be told, by when, and what is late. */
export interface Obligation {
  /** `uk`, `kr`, or `eu-DE` for one Member State's authority. */
  readonly key: string;
  readonly jurisdiction: JurisdictionId;
  readonly name: string;
  readonly regulator: string;
  readonly countries: string[];
  readonly people: number;
  readonly requirement: Requirement;
  readonly reason: string;
  readonly clocks: ObligationClock[];
  readonly source: string;
}

/** What has been done so far, per obligation key. */
export interface Progress {
  /** The (first or only) report reached the regulator. */
  readonly reportSentAt: Date | null;
  /** A final report was filed (Japan's 確報 after its 速報). */
  readonly finalReportAt: Date | null;
  readonly individualsNotifiedAt: Date | null;
  /** The team recorded its assessment of the breach (what Australia and Singapore give 30 days for). */
  readonly assessedAt: Date | null;
}

export interface ClockInput {
  readonly awareAt: Date;
  readonly now: Date;
  readonly byCountry: Readonly<Record<string, number>>;
  readonly totalPeople: number;
  readonly categories: ReadonlySet<FieldCategory>;
  readonly unauthorizedAccess: boolean;
  /** What has been done for the obligation with this key, covering these countries' residents. */
  readonly progress: (key: string, countries: readonly string[]) => Progress;
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** Adds Monday-to-Friday days (UTC). Holidays are not skipped: the result is never later than the law's. */
export function addBusinessDays(from: Date, days: number): Date {
  const at = new Date(from.getTime());
  let left = days;
  while (left > 0) {
    at.setTime(at.getTime() + DAY);
    const weekday = at.getUTCDay();
    if (weekday !== 0 && weekday !== 6) left -= 1;
  }
  return at;
}

/** A deadline counted from `anchor`, or null when the law gives no fixed time. */
function deadlineOf(due: Due, anchor: Date): Date | null {
  switch (due.kind) {
    case 'hours':
      return new Date(anchor.getTime() + due.hours * HOUR);
    case 'calendar_days':
      return new Date(anchor.getTime() + due.days * DAY);
    case 'business_days':
      return addBusinessDays(anchor, due.days);
    case 'immediately':
      return anchor;
    default:
      return null;
  }
}

function clocksOf(rule: JurisdictionRule, input: ClockInput, progress: Progress): ObligationClock[] {
  const individuals = rule.clocks.find((clock) => clock.kind === 'individuals');
  const individualsDeadline = individuals ? deadlineOf(individuals.due, input.awareAt) : null;
  return rule.clocks.map((clock) => {
    let deadline: Date | null;
    if (clock.due.kind === 'with_individual_notices') deadline = individualsDeadline;
    else if (clock.due.kind === 'after_individual_notices') {
      const told = progress.individualsNotifiedAt ?? individualsDeadline;
      deadline = told ? new Date(told.getTime() + clock.due.days * DAY) : null;
    } else deadline = deadlineOf(clock.due, input.awareAt);
    const done = {
      regulator: progress.reportSentAt,
      regulator_final: progress.finalReportAt,
      individuals: progress.individualsNotifiedAt,
      assessment: progress.assessedAt,
    }[clock.kind];
    let status: ClockStatus;
    if (done) status = 'done';
    else if (clock.due.kind === 'immediately') status = 'due_now';
    else if (deadline === null) status = 'open';
    else status = input.now.getTime() > deadline.getTime() ? 'overdue' : 'due';
    return { kind: clock.kind, text: clock.text, deadline, status };
  });
}

/** The earliest deadline still running (done clocks no longer press); Infinity when none. */
function tightest(obligation: Obligation): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const clock of obligation.clocks) {
    if (clock.status !== 'done' && clock.deadline) earliest = Math.min(earliest, clock.deadline.getTime());
  }
  return earliest;
}

const RANK: Readonly<Record<Requirement, number>> = { required: 0, assess: 1, not_required: 2 };

/**
 * Every regulator the incident's affected people bring in, with its verdict and clocks: what must be done
 * (and what may need to be) first, then by the tightest clock, so the most pressing deadline leads.
 */
export function obligations(input: ClockInput): Obligation[] {
  const found: Obligation[] = [];
  for (const rule of JURISDICTIONS) {
    const groups = rule.perCountry
      ? rule.countries.map((country) => [country])
      : [rule.countries as string[]];
    for (const countries of groups) {
      const people = countries.reduce((sum, country) => sum + (input.byCountry[country] ?? 0), 0);
      const facts: BreachFacts = {
        people,
        totalPeople: input.totalPeople,
        categories: input.categories,
        unauthorizedAccess: input.unauthorizedAccess,
        now: input.now,
      };
      if (people === 0 && !rule.operatorWide?.(facts)) continue;
      const key = rule.perCountry ? `${rule.id}-${countries[0]}` : rule.id;
      const verdict = rule.applies(facts);
      found.push({
        key,
        jurisdiction: rule.id,
        name: rule.perCountry ? `${rule.name} - ${countries[0]}` : rule.name,
        regulator: rule.perCountry ? `${rule.regulator} (${countries[0]})` : rule.regulator,
        countries,
        people,
        requirement: verdict.requirement,
        reason: verdict.reason,
        clocks: clocksOf(rule, input, input.progress(key, countries)),
        source: rule.source,
      });
    }
  }
  return found.sort((a, b) => RANK[a.requirement] - RANK[b.requirement] || tightest(a) - tightest(b));
}
