import path from 'node:path';
import { LOGIN_CONCURRENCY, LOGIN_PLANS, loginBenchmarks } from './login.bench.ts';
import { type Report, toMarkdown, writeReport } from './report.ts';
import { REDIS_CONCURRENCY, SHIELD_PLANS, shieldBenchmarks } from './shield.bench.ts';
import { TRAIL_PLANS, trailBenchmarks } from './trail.bench.ts';
import { PLAINTEXT, VAULT_PLANS, vaultBenchmarks } from './vault.bench.ts';
import { WATCH_NOTE, WATCH_PLANS, watchBenchmarks } from './watch.bench.ts';

// npm run bench [-- --quick] [-- --json]: --quick runs fewer batches, --json prints only the JSON report.
const args = new Set(process.argv.slice(2));
const mode = args.has('--quick') ? 'quick' : 'full';
const started = process.hrtime.bigint();

const shield = await shieldBenchmarks(SHIELD_PLANS[mode]);
const trail = await trailBenchmarks(TRAIL_PLANS[mode]);
const report: Report = {
  results: [
    ...(await vaultBenchmarks(VAULT_PLANS[mode])),
    ...(await loginBenchmarks(LOGIN_PLANS[mode])),
    ...shield.results,
    ...trail.results,
    ...(await watchBenchmarks(WATCH_PLANS[mode])),
  ],
};

const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const markdown = toMarkdown(report, [
  `Mode: ${mode}, ${seconds.toFixed(1)} s, Node ${process.version} on ${process.platform}/${process.arch}, ${new Date().toISOString()}.`,
  'Values are medians over batches. Ratio = value / baseline value, both measured in this run.',
  `Field values are ${Buffer.byteLength(PLAINTEXT)} bytes; the database is in-memory PGlite.`,
  `identity.logins is POST /v1/auth/token over real HTTP on loopback with ${LOGIN_CONCURRENCY} in flight; its baseline is raw Argon2id verifications with the same parameters and concurrency. Ratio 1 would mean the server adds nothing to the hash.`,
  `shield.decisions-memory is one rate-limit decision in this process's buckets (1000 keys in turn); its baseline a bare Map counter. shield.decisions-redis is one decision in Redis with ${REDIS_CONCURRENCY} in flight (${shield.redis}); its baseline a PING round trip with the same concurrency. shield.request-with-limits is GET of a trivial route through inject() with the limiter hooks (address, network, global, route: four decisions); its baseline the same app without them.`,
  `trail: ${trail.note}`,
  WATCH_NOTE,
  'vault.shopper-create is registerShopper with a pre-computed Argon2id hash; its baseline does the same checks and inserts the same values in plaintext into a copy of `users`.',
]);
writeReport(path.resolve('bench-results'), report, markdown);
process.stdout.write(args.has('--json') ? `${JSON.stringify(report)}\n` : markdown);
