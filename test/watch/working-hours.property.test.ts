import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { isWorkingHour } from '../../src/modules/watch/working-hours.ts';

// The rule caches the hour per quarter hour; it must agree with the time zone database at every instant,
// daylight-saving changes and half- and quarter-hour offsets included, in any order of calls.
const ZONES = ['UTC', 'Asia/Shanghai', 'Europe/Warsaw', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu'];

describe('working hours', () => {
  it('agree with Intl for any instant, zone and hours, whatever came before', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.constantFrom(...ZONES),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 1, max: 24 }),
        (instants, zone, start, end) => {
          fc.pre(start !== end);
          const t = loadConfig({
            NODE_ENV: 'test',
            BULWARK_WATCH_WORK_HOURS: `${String(start).padStart(2, '0')}-${String(end).padStart(2, '0')}`,
            BULWARK_WATCH_TIME_ZONE: zone,
          }).watch;
          for (const at of instants) {
            const hour = Number(
              new Intl.DateTimeFormat('en-GB', { hour: 'numeric', hourCycle: 'h23', timeZone: zone }).format(
                at,
              ),
            );
            const expected = start < end ? hour >= start && hour < end : hour >= start || hour < end;
            expect(isWorkingHour(at, t)).toBe(expected);
          }
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('a quarter-hour zone changes hour a quarter past the UTC hour (Kathmandu, UTC+5:45)', () => {
    const t = loadConfig({
      NODE_ENV: 'test',
      BULWARK_WATCH_WORK_HOURS: '10-20',
      BULWARK_WATCH_TIME_ZONE: 'Asia/Kathmandu',
    }).watch;
    // 04:10 UTC is 09:55 there, 04:20 UTC is 10:05: one UTC hour, two local hours.
    expect(isWorkingHour(Date.UTC(2026, 0, 1, 4, 10), t)).toBe(false);
    expect(isWorkingHour(Date.UTC(2026, 0, 1, 4, 20), t)).toBe(true);
  });

  it('refuses hours and zones that are not', () => {
    for (const hours of ['7-20x', '25-03', '07-07', '07', '07-25']) {
      expect(() => loadConfig({ NODE_ENV: 'test', BULWARK_WATCH_WORK_HOURS: hours })).toThrow(
        /BULWARK_WATCH_WORK_HOURS/,
      );
    }
    expect(() => loadConfig({ NODE_ENV: 'test', BULWARK_WATCH_TIME_ZONE: 'Mars/Olympus' })).toThrow(
      /BULWARK_WATCH_TIME_ZONE/,
    );
  });
});
