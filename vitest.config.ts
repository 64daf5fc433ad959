import { configDefaults, defineConfig } from 'vitest/config';
import { onPath } from './test/helpers/on-path.ts';

// The testssl.sh scan needs the Debian package (.ci/run installs it; test/shield/tls.test.ts probes with
// node:tls everywhere), and its server has its own embedded database, so it runs once: in the embedded pass.
const scans = onPath('testssl') && !process.env.DATABASE_URL ? [] : ['test/shield/tls-scan.test.ts'];

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...scans],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // Each file gets its own database (in-memory PGlite, or a fresh PostgreSQL database). Against
    // PostgreSQL the database works in its own processes and files wait on it, so three at once keep two
    // cores busy (measured: 421 s against 540 s with two); embedded PGlite computes in the test process,
    // where a third file only adds switching (653 s against 627 s).
    maxWorkers: process.env.DATABASE_URL ? 3 : 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
