import fs from 'node:fs';
import path from 'node:path';

/** One figure. `baseline` names the entry it was compared with, measured in the same run. */
export interface Result {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** value / baseline value. */
  readonly ratio?: number;
  readonly baseline?: string;
}

export interface Report {
  readonly results: readonly Result[];
}

/** A figure and the baseline it is divided by; the baseline is listed as `<name>/<baseline>`. */
export function compared(
  name: string,
  unit: string,
  value: number,
  baseline: string,
  base: number,
): Result[] {
  const baselineName = `${name}/${baseline}`;
  return [
    { name, value: round(value), unit, ratio: round(value / base), baseline: baselineName },
    { name: baselineName, value: round(base), unit },
  ];
}

export function round(value: number): number {
  return Number(value.toPrecision(4));
}

export function toMarkdown(report: Report, notes: readonly string[]): string {
  const byName = new Map(report.results.map((r) => [r.name, r]));
  const rows = report.results
    .filter((r) => !r.name.includes('/'))
    .map((r) => {
      const base = r.baseline ? byName.get(r.baseline) : undefined;
      const baseCells = base ? `${base.name.split('/')[1]} | ${base.value}` : '– | –';
      const ratio = r.ratio === undefined ? '–' : `${r.ratio}×`;
      return `| ${r.name} | ${r.value} | ${r.unit} | ${baseCells} | ${ratio} |`;
    });
  return [
    '| Figure | Value | Unit | Baseline | Baseline value | Ratio |',
    '| --- | ---: | --- | --- | ---: | ---: |',
    ...rows,
    '',
    ...notes.map((note) => `- ${note}`),
    '',
  ].join('\n');
}

export function writeReport(dir: string, report: Report, markdown: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'report.md'), `# Bulwark benchmarks\n\n${markdown}`);
}
