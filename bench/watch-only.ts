import path from 'node:path';
import { type Report, toMarkdown, writeReport } from './report.ts';
import { WATCH_NOTE, WATCH_PLANS, watchBenchmarks } from './watch.bench.ts';

// npm run bench:watch [-- --quick]: detection's figures alone.
const mode = process.argv.includes('--quick') ? 'quick' : 'full';
const started = process.hrtime.bigint();
const report: Report = { results: await watchBenchmarks(WATCH_PLANS[mode]) };
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const markdown = toMarkdown(report, [
  `Mode: ${mode}, ${seconds.toFixed(1)} s, Node ${process.version} on ${process.platform}/${process.arch}, ${new Date().toISOString()}.`,
  WATCH_NOTE,
]);
writeReport(path.resolve('bench-results', 'watch'), report, markdown);
process.stdout.write(markdown);
