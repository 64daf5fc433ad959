import fs from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';

/**
 * PGlite must be opened by one process only: a second opener would corrupt the data directory. The
 * server holds this lock; operator commands talk to it through the admin socket instead. The lock is a
 * directory created atomically and kept fresh while we live, so a crashed holder's lock goes stale by
 * age (not by PID, which containers reuse) and two starters can never both take it.
 */
export class DataDirLockedError extends Error {
  constructor() {
    super('the data directory is in use by another Bulwark process (or one that stopped in the last 10 s)');
  }
}

export interface DataDirLock {
  release(): void;
}

const STALE_AFTER_MS = 10_000;

export function lockDataDir(dataDir: string): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  let release: () => void;
  try {
    release = lockfile.lockSync(dataDir, {
      lockfilePath: path.join(dataDir, 'bulwark.lock'),
      stale: STALE_AFTER_MS,
      realpath: false,
      onCompromised: (error) => {
        // Someone removed or took our lock: stop before two processes write the same files.
        process.stderr.write(`bulwark: the data directory lock was lost (${error.message}); stopping\n`);
        process.exit(70);
      },
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') throw new DataDirLockedError();
    throw error;
  }
  return {
    release: () => {
      try {
        release();
      } catch {
        // Already released.
      }
    },
  };
}
