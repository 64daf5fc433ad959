import path from 'node:path';
import { LOGIN_CONCURRENCY, LOGIN_PLANS, loginBenchmarks } from './login.bench.ts';
import { type Report, toMarkdown, writeReport } from './report.ts';
import { PLAINTEXT, VAULT_PLANS, vaultBenchmarks } from './vault.bench.ts';

// npm run bench [-- --quick] [-- --json]: --quick runs fewer batches, --json prints only the JSON report.
const args = new Set(process.argv.slice(2));
const mode = args.has('--quick') ? 'quick' : 'full';
const started = process.hrtime.bigint();

const report: Report = {
  results: [...(await vaultBenchmarks(VAULT_PLANS[mode])), ...(await loginBenchmarks(LOGIN_PLANS[mode]))],
};

const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const markdown = toMarkdown(report, [
  `Mode: ${mode}, ${seconds.toFixed(1)} s, Node ${process.version} on ${process.platform}/${process.arch}, ${new Date().toISOString()}.`,
  'Values are medians over batches. Ratio = value / baseline value, both measured in this run.',
  `Field values are ${Buffer.byteLength(PLAINTEXT)} bytes; the database is in-memory PGlite.`,
  `identity.logins is POST /v1/auth/token over real HTTP on loopback with ${LOGIN_CONCURRENCY} in flight; its baseline is raw Argon2id verifications with the same parameters and concurrency. Ratio 1 would mean the server adds nothing to the hash.`,
  'vault.shopper-create is registerShopper with a pre-computed Argon2id hash; its baseline does the same checks and inserts the same values in plaintext into a copy of `users`.',
]);
writeReport(path.resolve('bench-results'), report, markdown);
process.stdout.write(args.has('--json') ? `${JSON.stringify(report)}\n` : markdown);
