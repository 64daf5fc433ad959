import type { WatchThresholds } from '../../config/index.ts';
import type { AnyEvent, EventName } from '../../platform/events.ts';
import { type Finding, type Rule, rulesByEvent } from './rules.ts';
import { SlidingWindows } from './windows.ts';

/** A rule that fired on an event: what the alert store and containment act on. */
export interface Detection {
  readonly rule: Rule;
  readonly finding: Finding;
  /** `rule.id` and the finding's group: one open alert per key. */
  readonly key: string;
  /** When the event that completed the evidence happened (the start of the detection latency). */
  readonly observedAt: Date;
}

export interface EngineDeps {
  readonly rules: readonly Rule[];
  readonly thresholds: WatchThresholds;
}

/**
 * Evaluates events against the rules, synchronously and in memory (so a burst costs microseconds per
 * event). A group that fired stays quiet for one window: the alert groups further evidence instead of
 * raising again on every event.
 */
export function createEngine(deps: EngineDeps) {
  const windows = new SlidingWindows();
  const index = rulesByEvent(deps.rules);
  const windowMs = deps.thresholds.windowSeconds * 1000;
  const quietUntil = new Map<string, number>();
  let evaluated = 0;

  return {
    windows,
    /** Events this engine has evaluated since it started. */
    get evaluated() {
      return evaluated;
    },
    /** The names of the events some rule reads: the only ones worth carrying between nodes. */
    watched(): ReadonlySet<EventName> {
      return new Set(index.keys());
    },
    ingest(event: AnyEvent): Detection[] {
      const rules = index.get(event.name);
      if (!rules) return [];
      evaluated += 1;
      const atMs = event.at.getTime();
      const context = { windows, thresholds: deps.thresholds, atMs, windowMs };
      const detections: Detection[] = [];
      for (const rule of rules) {
        const finding = rule.evaluate(event as never, context);
        if (!finding) continue;
        const key = `${rule.id}:${finding.group}`;
        if ((quietUntil.get(key) ?? 0) > atMs) continue;
        if (quietUntil.size >= 100_000) quietUntil.clear();
        quietUntil.set(key, atMs + windowMs);
        detections.push({ rule, finding, key, observedAt: event.at });
      }
      return detections;
    },
  };
}

export type Engine = ReturnType<typeof createEngine>;
