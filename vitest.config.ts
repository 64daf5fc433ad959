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
    // Each file gets its own database (in-memory PGlite, or a fresh PostgreSQL database).
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
