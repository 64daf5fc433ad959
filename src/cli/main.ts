import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config/index.ts';
import type { OperatorCommand } from './operator-commands.ts';

// The rest of the application loads only once the configuration is known to be valid, so a wrong value
// is reported at once.

/**
 * Runs an operator command through the running server when there is one (PGlite allows one process
 * only), otherwise against the database directly.
 */
async function runCommand(command: OperatorCommand): Promise<unknown> {
  const config = loadConfig();
  const { sendToRunningServer } = await import('./admin-socket.ts');
  const remote = await sendToRunningServer(config.dataDir, command);
  if (remote) return remote.result;
  const { lockDataDir } = await import('../platform/db/index.ts');
  const { createContainer } = await import('../container.ts');
  const { runOperatorCommand } = await import('./operator-commands.ts');
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
  .action(async () => {
    const config = loadConfig();
    const { startCommand } = await import('./start.command.ts');
    await startCommand(config);
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

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`bulwark: ${message}\n`);
  process.exit(1);
}
