import type { WatchThresholds } from '../../config/index.ts';

// Every zone's offset and every change of it fall on a quarter hour, so the hour is the same throughout
// a quarter hour: formatting once per quarter keeps the rule off the engine's hot path.
const QUARTER_MS = 900_000;
const zones = new Map<string, { format: Intl.DateTimeFormat; quarter: number; hour: number }>();

/** The hour (0–23) at `atMs` in the time zone. */
function hourIn(atMs: number, timeZone: string): number {
  let zone = zones.get(timeZone);
  if (!zone) {
    const format = new Intl.DateTimeFormat('en-GB', { hour: 'numeric', hourCycle: 'h23', timeZone });
    zone = { format, quarter: Number.NaN, hour: 0 };
    zones.set(timeZone, zone);
  }
  const quarter = Math.floor(atMs / QUARTER_MS);
  if (quarter !== zone.quarter) {
    zone.quarter = quarter;
    zone.hour = Number(zone.format.format(atMs));
  }
  return zone.hour;
}

/** Whether `atMs` falls in the configured working hours (which may span midnight). */
export function isWorkingHour(atMs: number, t: WatchThresholds): boolean {
  const hour = hourIn(atMs, t.timeZone);
  return t.workHoursStart < t.workHoursEnd
    ? hour >= t.workHoursStart && hour < t.workHoursEnd
    : hour >= t.workHoursStart || hour < t.workHoursEnd;
}
