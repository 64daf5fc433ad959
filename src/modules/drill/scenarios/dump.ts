import fs from 'node:fs';
import path from 'node:path';
import { signUpShopper } from '../drill-client.ts';
import { blank, type Scenario } from '../scenario.ts';

/** Every file under `target` (or `target` itself), as bytes. */
function* files(target: string): Generator<{ name: string; bytes: Buffer }> {
  const stat = fs.statSync(target);
  if (stat.isFile()) {
    yield { name: target, bytes: fs.readFileSync(target) };
    return;
  }
  for (const entry of fs.readdirSync(target, { withFileTypes: true })) {
    const full = path.join(target, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else if (entry.isFile()) yield { name: full, bytes: fs.readFileSync(full) };
  }
}

/**
 * PandaBuy 2024, 23andMe 2023: the database itself walks away (a pg_dump, a backup, the embedded data
 * directory). The drill searches it for every personal value it typed in during this run, as UTF-8
 * and UTF-16. Passes when none is found and no key file travels with the data.
 */
export const dump: Scenario = {
  id: 'dump',
  title: 'Reading a database dump for the personal data the drill entered',
  async run(context) {
    const result = blank(this.id);
    if (!context.dumpPath) return { ...result, pass: false, reason: 'needs --dump PATH (or --spawn)' };
    if (context.planted.size === 0) {
      const shopper = await signUpShopper(context, 'dumped');
      const line1 = `ul. Zrzutowa ${Date.now().toString(36)}`;
      context.plant(line1);
      await shopper.client.post('/v1/me/addresses', {
        recipientName: shopper.fullName,
        phone: shopper.phone,
        line1,
        city: 'Warszawa',
        postalCode: '00-950',
        country: 'PL',
      });
    }
    const needles = [...context.planted].flatMap((value) => [
      { value, bytes: Buffer.from(value, 'utf8') },
      { value, bytes: Buffer.from(value, 'utf16le') },
    ]);
    const controls = [...context.controls].map((value) => ({ value, bytes: Buffer.from(value, 'utf8') }));
    const seen = new Set<string>();
    const found = new Set<string>();
    const keyFiles: string[] = [];
    let scanned = 0;
    for (const file of files(context.dumpPath)) {
      scanned += file.bytes.length;
      if (/key/i.test(path.basename(file.name)) && !/^pg_|relmapper/.test(path.basename(file.name))) {
        keyFiles.push(path.basename(file.name));
      }
      for (const needle of needles) if (file.bytes.includes(needle.bytes)) found.add(needle.value);
      for (const control of controls) if (file.bytes.includes(control.bytes)) seen.add(control.value);
    }
    const failures = [
      found.size > 0 && `${found.size} of ${context.planted.size} personal values readable in the dump`,
      keyFiles.length > 0 && `key files in the dump: ${keyFiles.slice(0, 3).join(', ')}`,
      seen.size < controls.length &&
        `the scan missed ${controls.length - seen.size} value(s) kept in the clear: it cannot read this dump`,
    ].filter((f): f is string => typeof f === 'string');
    return {
      ...result,
      obtained: found.size,
      pass: failures.length === 0,
      reason:
        failures.join('; ') ||
        `none of ${context.planted.size} personal values in ${(scanned / 1_048_576).toFixed(1)} MiB (${seen.size} clear control value(s) found); no key file`,
    };
  },
};
