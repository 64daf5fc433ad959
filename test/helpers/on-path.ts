import fs from 'node:fs';
import path from 'node:path';

/** Whether an executable of that name is on PATH: the scanner tests run only where the tool is installed. */
export function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    if (!dir) return false;
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
