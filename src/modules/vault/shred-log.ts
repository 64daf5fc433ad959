import fs from 'node:fs';
import path from 'node:path';

/**
 * The IDs of destroyed data keys, kept apart from the database: restoring an old backup brings the
 * wrapped keys back, and replaying this log destroys them again, so deleted people stay deleted.
 */
export interface ShredLog {
  append(keyId: string): void;
  keyIds(): string[];
}

export function fileShredLog(file: string): ShredLog {
  return {
    append(keyId) {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      const fd = fs.openSync(file, 'a', 0o600);
      try {
        fs.writeSync(fd, `${keyId}\n`);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    },
    keyIds() {
      if (!fs.existsSync(file)) return [];
      return fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => /^dk_[0-9a-z]{26}$/.test(line));
    },
  };
}

export function memoryShredLog(): ShredLog {
  const ids: string[] = [];
  return { append: (id) => void ids.push(id), keyIds: () => [...ids] };
}
