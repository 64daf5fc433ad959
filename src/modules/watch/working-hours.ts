import type { WatchThresholds } from '../../config/index.ts';

const formats = new Map<string, Intl.DateTimeFormat>();

/** The hour (0–23) at `atMs` in the time zone. */
function hourIn(atMs: number, timeZone: string): number {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { hour: 'numeric', hourCycle: 'h23', timeZone });
    formats.set(timeZone, format);
  }
  return Number(format.format(atMs));
}

/** Whether `atMs` falls in the configured working hours (which may span midnight). */
export function isWorkingHour(atMs: number, t: WatchThresholds): boolean {
  const hour = hourIn(atMs, t.timeZone);
  return t.workHoursStart < t.workHoursEnd
    ? hour >= t.workHoursStart && hour < t.workHoursEnd
    : hour >= t.workHoursStart || hour < t.workHoursEnd;
}
