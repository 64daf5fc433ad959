import path from 'node:path';
import { type Report, toMarkdown, writeReport } from './report.ts';
import { TRAIL_PLANS, trailBenchmarks } from './trail.bench.ts';

// npm run bench:trail [-- --quick]: the trail's figures alone (the full size loads 10 million entries).
const mode = process.argv.includes('--quick') ? 'quick' : 'full';
const started = process.hrtime.bigint();
const trail = await trailBenchmarks(TRAIL_PLANS[mode]);
const report: Report = { results: trail.results };
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const markdown = toMarkdown(report, [
  `Mode: ${mode}, ${seconds.toFixed(1)} s, Node ${process.version} on ${process.platform}/${process.arch}, ${new Date().toISOString()}.`,
  trail.note,
]);
writeReport(path.resolve('bench-results', 'trail'), report, markdown);
process.stdout.write(markdown);
