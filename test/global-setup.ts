import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Personal data the test helpers and suites put into the server. None of it may appear in any log line.
const PII_MARKERS = [
  '@example.test',
  'Test Shopper',
  'Anna Kowalska',
  'Marszałkowska',
  '+48601234567',
  '601234567',
  'correct horse battery staple',
];

/** Gives every test app a directory for its captured logs, and scans them all when the suite ends. */
export default function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-test-logs-'));
  process.env.BULWARK_TEST_LOG_DIR = dir;
  return () => {
    const leaks: string[] = [];
    let lines = 0;
    for (const file of fs.readdirSync(dir)) {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      lines += text.split('\n').length - 1;
      for (const marker of PII_MARKERS) {
        if (text.includes(marker)) leaks.push(`${marker} in ${file}`);
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
    if (leaks.length > 0) throw new Error(`personal data reached the logs:\n${leaks.join('\n')}`);
    process.stdout.write(`log scan: ${lines} captured log lines, no personal data found\n`);
  };
}
