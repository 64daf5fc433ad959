import type { ScenarioResult } from './scenario.ts';

export type ScorecardFormat = 'table' | 'json' | 'markdown';

const COLUMNS = [
  'scenario',
  'obtained',
  'detect',
  'contain',
  'incident',
  'scope P/R',
  'notices',
  'result',
  'reason',
];

const ms = (value: number | null) => (value === null ? '-' : `${(value / 1000).toFixed(1)} s`);
const yes = (value: boolean | null) => (value === null ? '-' : value ? 'yes' : 'no');
const ratio = (value: number | null) => (value === null ? '-' : value.toFixed(2));

function row(result: ScenarioResult): string[] {
  return [
    result.scenario,
    String(result.obtained),
    ms(result.detectMs),
    ms(result.containMs),
    yes(result.incidentOpened),
    result.scopePrecision === null ? '-' : `${ratio(result.scopePrecision)}/${ratio(result.scopeRecall)}`,
    yes(result.noticesRight),
    result.pass ? 'PASS' : 'FAIL',
    result.reason,
  ];
}

/** The scorecard as an aligned text table, a Markdown table, or JSON. */
export function renderScorecard(results: readonly ScenarioResult[], format: ScorecardFormat): string {
  if (format === 'json') {
    return JSON.stringify({ pass: results.every((r) => r.pass), scenarios: results }, null, 2);
  }
  const rows = results.map(row);
  if (format === 'markdown') {
    const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
    return [line(COLUMNS), line(COLUMNS.map(() => '---')), ...rows.map(line)].join('\n');
  }
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(COLUMNS), ...rows.map(line)].join('\n');
}
