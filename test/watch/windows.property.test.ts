import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlidingWindows } from '../../src/modules/watch/index.ts';

/** The windows agree with counting by hand over the same occurrences, whatever their order of keys. */
describe('sliding windows', () => {
  const occurrences = fc.array(
    fc.record({
      key: fc.constantFrom('a', 'b', 'c'),
      member: fc.constantFrom('x', 'y', 'z', 'w'),
      gap: fc.nat(50),
    }),
    { maxLength: 200 },
  );

  it('count and distinct equal a brute-force count over the window', () => {
    fc.assert(
      fc.property(occurrences, fc.integer({ min: 1, max: 120 }), (steps, windowMs) => {
        const windows = new SlidingWindows();
        const seen: { key: string; member: string; at: number }[] = [];
        let at = 0;
        for (const step of steps) {
          at += step.gap;
          seen.push({ key: step.key, member: step.member, at });
          const inWindow = seen.filter((o) => o.key === step.key && o.at > at - windowMs);
          expect(windows.count(`count:${step.key}`, at, windowMs)).toBe(inWindow.length);
          expect(windows.distinct(`distinct:${step.key}`, step.member, at, windowMs)).toBe(
            new Set(inWindow.map((o) => o.member)).size,
          );
        }
      }),
    );
  });

  it('an attacker inventing keys cannot grow the windows past their cap', () => {
    const windows = new SlidingWindows(100);
    for (let i = 0; i < 10_000; i += 1) {
      windows.count(`network:${i}`, i, 1_000);
      windows.distinct(`accounts:${i}`, `idx-${i}`, i, 1_000);
    }
    expect(windows.size).toBeLessThanOrEqual(200);
  });
});
