import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config/index.ts';
import type { OperatorCommand, Progress } from './operator-commands.ts';

// The rest of the application loads only once the configuration is known to be valid, so a wrong value
// is reported at once.

/**
 * Runs an operator command through the running server when there is one (PGlite allows one process
 * only), otherwise against the database directly.
 */
async function runCommand(command: OperatorCommand, onProgress?: Progress): Promise<unknown> {
  const config = loadConfig();
  const { sendToRunningServer } = await import('./admin-socket.ts');
  const remote = await sendToRunningServer(config.dataDir, command, onProgress);
  if (remote) return remote.result;
  const { lockDataDir } = await import('../platform/db/index.ts');
  const { createContainer } = await import('../container.ts');
  const { runOperatorCommand } = await import('./operator-commands.ts');
  const lock = config.databaseUrl ? null : lockDataDir(config.dataDir);
  const container = await createContainer(config);
  try {
    if (command.name !== 'migrate') await runOperatorCommand(container, { name: 'migrate' });
    return await runOperatorCommand(container, command, onProgress);
  } finally {
    await container.close();
    lock?.release();
  }
}

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('must be a positive whole number');
  return Number(value);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

const print = (value: unknown, json: boolean, text: () => string) =>
  process.stdout.write(`${json ? JSON.stringify(value) : text()}\n`);

const program = new Command()
  .name('bulwark')
  .description('Bulwark: the shopping-agent platform that cannot leak its users')
  .showHelpAfterError();

program
  .command('start')
  .description('run the API and web app')
  .option('--tls-self-signed', 'serve HTTPS with a throwaway self-signed certificate (local use only)')
  .action(async (options: { tlsSelfSigned?: boolean }) => {
    const config = loadConfig();
    const { startCommand } = await import('./start.command.ts');
    await startCommand(config, { tlsSelfSigned: options.tlsSelfSigned === true });
  });

program
  .command('migrate')
  .description('apply pending database migrations')
  .option('--json', 'print JSON')
  .action(async (options: { json?: boolean }) => {
    const result = (await runCommand({ name: 'migrate' })) as { applied: string[] };
    print(result, Boolean(options.json), () => `applied ${result.applied.length} migrations`);
  });

program
  .command('seed')
  .description('create demo shoppers with addresses, orders in every state, parcels and wallet history')
  .requiredOption('--users <n>', 'how many shoppers', positiveInteger)
  .option('--json', 'print the shoppers as [{id, email, password}]')
  .action(async (options: { users: number; json?: boolean }) => {
    const shoppers = (await runCommand({ name: 'seed', users: options.users })) as {
      email: string;
      password: string;
    }[];
    print(shoppers, Boolean(options.json), () => shoppers.map((s) => `${s.email}  ${s.password}`).join('\n'));
  });

const staff = program.command('staff').description('manage staff accounts');
staff
  .command('create')
  .description('create a staff account')
  .requiredOption('--email <email>', 'e-mail address')
  .requiredOption('--role <role>', 'support, warehouse, finance, security or admin')
  .requiredOption('--password-stdin', 'read the password from standard input')
  .option('--name <name>', 'full name')
  .option('--json', 'print JSON')
  .action(async (options: { email: string; role: string; name?: string; json?: boolean }) => {
    const password = await readStdin();
    const result = await runCommand({
      name: 'staff.create',
      email: options.email,
      role: options.role as Extract<OperatorCommand, { name: 'staff.create' }>['role'],
      password,
      ...(options.name ? { fullName: options.name } : {}),
    });
    print(result, Boolean(options.json), () => `created ${(result as { id: string }).id}`);
  });

const keys = program.command('keys').description('master key versions, rotation and crypto-shredding');
keys
  .command('rotate')
  .description(
    'create a new master key version and re-wrap every data key online (resumes an unfinished rotation)',
  )
  .option('--json', 'print JSON')
  .action(async (options: { json?: boolean }) => {
    const { progressBar } = await import('./progress-bar.ts');
    const bar = progressBar(Boolean(options.json) || !process.stderr.isTTY);
    try {
      const result = (await runCommand({ name: 'keys.rotate' }, bar.update)) as {
        version: number;
        resumed: boolean;
        rewrapped: number;
        retired: number[];
      };
      bar.stop();
      print(
        result,
        Boolean(options.json),
        () =>
          `${result.resumed ? 'resumed and finished' : 'rotated to'} master key v${result.version}: ` +
          `${result.rewrapped} data keys re-wrapped, retired ${result.retired.length ? result.retired.map((v) => `v${v}`).join(', ') : 'none'}`,
      );
    } finally {
      bar.stop();
    }
  });
keys
  .command('rotate-signing')
  .description('new access-token signing key at once; the previous one verifies until its tokens expire')
  .option('--json', 'print JSON')
  .action(async (options: { json?: boolean }) => {
    const result = (await runCommand({ name: 'keys.rotateSigning' })) as {
      kid: string;
      previousVerifiesForSeconds: number;
    };
    print(
      result,
      Boolean(options.json),
      () =>
        `signing with key ${result.kid}; the previous key verifies for ${result.previousVerifiesForSeconds} s more`,
    );
  });
keys
  .command('status')
  .description('master key versions, their ages, and how many data keys each wraps')
  .option('--json', 'print JSON')
  .action(async (options: { json?: boolean }) => {
    const status = (await runCommand({ name: 'keys.status' })) as {
      activeVersion: number;
      shredded: number;
      versions: { version: number; ageDays: number; dataKeys: number; retiredAt: string | null }[];
    };
    print(status, Boolean(options.json), () =>
      [
        `active master key: v${status.activeVersion}; shredded data keys on record: ${status.shredded}`,
        ...status.versions.map(
          (v) =>
            `  v${v.version}  ${v.ageDays} days old  ${v.dataKeys} data keys  ${v.retiredAt ? 'retired' : 'live'}`,
        ),
      ].join('\n'),
    );
  });

const suspects = program
  .command('suspects')
  .description(
    'sources that must solve a proof of work before the sign-up, login and reset routes answer them',
  );
suspects
  .command('mark <source>')
  .description('mark an address, or a /24 (IPv4) or /64 (IPv6) network, as automated')
  .requiredOption('--minutes <n>', 'how long the mark lasts (at most a week)', positiveInteger)
  .requiredOption('--reason <text>', 'why, as the security console will show it')
  .option('--json', 'print JSON')
  .action(async (source: string, options: { minutes: number; reason: string; json?: boolean }) => {
    const mark = (await runCommand({
      name: 'suspects.mark',
      source,
      minutes: options.minutes,
      reason: options.reason,
    })) as { source: string; until: string };
    print(mark, Boolean(options.json), () => `${mark.source} must solve a challenge until ${mark.until}`);
  });
suspects
  .command('clear <source>')
  .description('lift a mark')
  .option('--json', 'print JSON')
  .action(async (source: string, options: { json?: boolean }) => {
    const result = (await runCommand({ name: 'suspects.clear', source })) as { cleared: boolean };
    print(result, Boolean(options.json), () =>
      result.cleared ? `cleared ${source}` : `${source} was not marked`,
    );
  });
suspects
  .command('list')
  .description('marks in force')
  .option('--json', 'print JSON')
  .action(async (options: { json?: boolean }) => {
    const marks = (await runCommand({ name: 'suspects.list' })) as {
      source: string;
      until: string;
      reason: string;
    }[];
    print(marks, Boolean(options.json), () =>
      marks.length === 0
        ? 'no marks'
        : marks.map((m) => `${m.source}  until ${m.until}  ${m.reason}`).join('\n'),
    );
  });
const trail = program.command('trail').description('the tamper-evident audit trail');
trail
  .command('verify')
  .description('check every entry, link and signed checkpoint; name the first bad entry (exit 2)')
  .option('--json', 'print JSON')
  .action(async (options: { json?: boolean }) => {
    const { progressBar } = await import('./progress-bar.ts');
    const bar = progressBar(Boolean(options.json) || !process.stderr.isTTY);
    let report: {
      ok: boolean;
      entries: number;
      lastSeq: number;
      entriesPerSecond: number;
      checkpoints: { trusted: number };
      problem: { kind: string; seq: number; detail: string } | null;
    };
    try {
      report = (await runCommand({ name: 'trail.verify' }, bar.update)) as typeof report;
    } finally {
      bar.stop();
    }
    print(report, Boolean(options.json), () =>
      report.ok
        ? `trail intact: ${report.entries} entries up to ${report.lastSeq}, ${report.checkpoints.trusted} signed checkpoints (${report.entriesPerSecond} entries/s)`
        : `TRAIL BROKEN at entry ${report.problem?.seq} (${report.problem?.kind}): ${report.problem?.detail}`,
    );
    if (!report.ok) process.exitCode = 2;
  });
trail
  .command('checkpoint')
  .description('sign a checkpoint of the current head now (also written to the checkpoint file)')
  .option('--json', 'print JSON')
  .action(async (options: { json?: boolean }) => {
    const result = (await runCommand({ name: 'trail.checkpoint' })) as { seq: number | null };
    print(result, Boolean(options.json), () =>
      result.seq === null ? 'nothing new to checkpoint' : `checkpoint signed at entry ${result.seq}`,
    );
  });
trail
  .command('scope')
  .description("which subjects' which fields the principals were shown in a window, with evidence")
  .requiredOption('--principals <ids>', 'comma-separated user or API key IDs')
  .requiredOption('--from <time>', 'ISO 8601 start (inclusive)')
  .requiredOption('--to <time>', 'ISO 8601 end (exclusive)')
  .option('--json', 'print JSON')
  .action(async (options: { principals: string; from: string; to: string; json?: boolean }) => {
    const scope = (await runCommand({
      name: 'trail.scope',
      principals: options.principals.split(',').map((id) => id.trim()),
      from: options.from,
      to: options.to,
    })) as { subjects: { subjectId: string; fields: string[]; evidence: number[] }[] };
    print(scope, Boolean(options.json), () =>
      scope.subjects.length === 0
        ? 'no personal data was shown to these principals in that window'
        : scope.subjects
            .map((s) => `${s.subjectId}  ${s.fields.join(',')}  (entries ${s.evidence.join(',')})`)
            .join('\n'),
    );
  });
trail
  .command('archive')
  .description('export entries older than the retention period with their checkpoints, then prune them')
  .option('--dir <directory>', 'where the archive file goes (default: trail-archive in the data dir)')
  .option('--json', 'print JSON')
  .action(async (options: { dir?: string; json?: boolean }) => {
    const result = (await runCommand({
      name: 'trail.archive',
      ...(options.dir ? { directory: options.dir } : {}),
    })) as { file: string | null; fromSeq: number; upToSeq: number; pruned: number };
    print(result, Boolean(options.json), () =>
      result.file
        ? `archived entries ${result.fromSeq} to ${result.upToSeq} to ${result.file}; pruned ${result.pruned}`
        : 'no closed period to archive',
    );
  });
trail
  .command('verify-archive')
  .description('verify an archive file on its own (no database needed)')
  .argument('<file>', 'the archive file')
  .option('--kid <kids>', 'comma-separated checkpoint key IDs to trust (default: the keys in the file)')
  .option('--json', 'print JSON')
  .action(async (file: string, options: { kid?: string; json?: boolean }) => {
    const { verifyArchive } = await import('../modules/trail/index.ts');
    const report = await verifyArchive(file, options.kid ? options.kid.split(',') : undefined);
    print(report, Boolean(options.json), () =>
      report.ok
        ? `archive intact: ${report.entries} entries up to ${report.upToSeq}`
        : `ARCHIVE BROKEN at entry ${report.problem?.seq} (${report.problem?.kind}): ${report.problem?.detail}`,
    );
    if (!report.ok) process.exitCode = 2;
  });

program
  .command('drill')
  .description('attack a running instance from outside, as real breaches did, and print a scorecard')
  .argument('<scenario>', 'a scenario, a comma-separated list, or all')
  .option('--url <url>', 'the instance to attack (its public URL)')
  .option('--spawn', 'start a fresh instance with its own data on a free port, and remove it afterwards')
  .option('--staff-token <token>', 'a support token, for the stolen-staff-token scenario')
  .option('--referee-token <token>', "a security token, used only to score the platform's answer")
  .option(
    '--victims <n>',
    'shoppers a scenario signs up as victims (default 60, or 8 with --spawn)',
    positiveInteger,
  )
  .option('--dump <path>', 'a pg_dump file or the embedded data directory, for the dump scenario')
  .option('--format <format>', 'table, json or markdown', 'table')
  .action(
    async (
      scenario: string,
      options: {
        url?: string;
        spawn?: boolean;
        staffToken?: string;
        refereeToken?: string;
        victims?: number;
        dump?: string;
        format: string;
      },
    ) => {
      if (!['table', 'json', 'markdown'].includes(options.format)) {
        throw new InvalidArgumentError('--format must be table, json or markdown');
      }
      const { renderScorecard, runDrill } = await import('../modules/drill/index.ts');
      const results = await runDrill({
        scenario,
        ...(options.url ? { url: options.url } : {}),
        spawn: options.spawn === true,
        ...(options.staffToken ? { staffToken: options.staffToken } : {}),
        ...(options.refereeToken ? { refereeToken: options.refereeToken } : {}),
        ...(options.victims ? { victims: options.victims } : {}),
        ...(options.dump ? { dumpPath: options.dump } : {}),
        log: (line) => process.stderr.write(`${line}\n`),
      });
      process.stdout.write(`${renderScorecard(results, options.format as 'table' | 'json' | 'markdown')}\n`);
      if (!results.every((r) => r.pass)) process.exitCode = 1;
    },
  );

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`bulwark: ${message}\n`);
  process.exit(1);
}
