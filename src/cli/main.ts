import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from '../config/index.ts';
import { createContainer } from '../container.ts';
import { STAFF_ROLES, type StaffRole } from '../modules/identity/index.ts';
import { DataDirLockedError, lockDataDir } from '../platform/db/index.ts';
import { sendToRunningServer } from './admin-socket.ts';
import { type OperatorCommand, runOperatorCommand } from './operator-commands.ts';
import { startCommand } from './start.command.ts';

/**
 * Runs an operator command through the running server when there is one (PGlite allows one process
 * only), otherwise against the database directly.
 */
async function runCommand(command: OperatorCommand): Promise<unknown> {
  const config = loadConfig();
  const remote = await sendToRunningServer(config.dataDir, command);
  if (remote) return remote.result;
  const lock = config.databaseUrl ? null : lockDataDir(config.dataDir);
  const container = await createContainer(config);
  try {
    if (command.name !== 'migrate') await runOperatorCommand(container, { name: 'migrate' });
    return await runOperatorCommand(container, command);
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
  .action(async () => startCommand(loadConfig()));

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
  .requiredOption('--role <role>', `one of ${STAFF_ROLES.join(', ')}`)
  .requiredOption('--password-stdin', 'read the password from standard input')
  .option('--name <name>', 'full name')
  .option('--json', 'print JSON')
  .action(async (options: { email: string; role: string; name?: string; json?: boolean }) => {
    if (!(STAFF_ROLES as readonly string[]).includes(options.role)) {
      throw new InvalidArgumentError(`--role must be one of ${STAFF_ROLES.join(', ')}`);
    }
    const password = await readStdin();
    const result = await runCommand({
      name: 'staff.create',
      email: options.email,
      role: options.role as StaffRole,
      password,
      ...(options.name ? { fullName: options.name } : {}),
    });
    print(result, Boolean(options.json), () => `created ${(result as { id: string }).id}`);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const message =
    error instanceof ConfigError || error instanceof DataDirLockedError || error instanceof Error
      ? error.message
      : String(error);
  process.stderr.write(`bulwark: ${message}\n`);
  process.exit(1);
}
