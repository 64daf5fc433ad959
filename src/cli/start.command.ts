import type { Config } from '../config/index.ts';
import { createContainer } from '../container.ts';
import { countUsers } from '../modules/identity/index.ts';
import { mailDirectory } from '../modules/notify/index.ts';
import { selfSignedCertificate } from '../modules/vault/index.ts';
import { type DataDirLock, lockDataDir, pendingMigrations } from '../platform/db/index.ts';
import { configuredTls } from '../platform/tls.ts';
import { buildServer } from '../server.ts';
import { listenAdminSocket } from './admin-socket.ts';
import { listenHttpsRedirect } from './https-redirect.ts';
import { seedDemo } from './seed-demo.ts';

const DEMO_SHOPPERS = 3;

/** `bulwark start`: the API and web app, with the admin socket for operator commands. */
export async function startCommand(config: Config, options: { tlsSelfSigned?: boolean } = {}): Promise<void> {
  const lock: DataDirLock | null = config.databaseUrl ? null : lockDataDir(config.dataDir);
  const container = await createContainer(config);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  if (container.generatedKeyFile) {
    say(
      `bulwark: generated a master key at ${container.generatedKeyFile}. Back it up: without it the data cannot be read.`,
    );
    say('bulwark: in production set BULWARK_MASTER_KEY (or a KMS); never keep the key beside the database.');
  }
  const pending = await pendingMigrations(container.database.db);
  if (pending.length > 0 && !config.autoMigrate) {
    throw new Error(`${pending.length} database migrations are pending: run \`bulwark migrate\` first`);
  }
  await container.migrate();
  // Keys destroyed before a backup was restored stay destroyed: replay the shred log kept beside it.
  const reShredded = await container.vault.replayShredLog(container.database.db);
  if (reShredded > 0) say(`bulwark: re-applied ${reShredded} crypto-shredded data keys from the shred log`);
  if (config.seedDemo && (await countUsers(container.database.db)) === 0) {
    const shoppers = await seedDemo(container, DEMO_SHOPPERS);
    const demo = shoppers[0];
    if (demo) {
      say('bulwark: seeded demo data. Log in as a demo shopper with:');
      say(
        `  curl -s -X POST http://${config.host}:${config.port}/v1/auth/token -H 'content-type: application/json' \\`,
      );
      say(`    -d '{"email":"${demo.email}","password":"${demo.password}"}'`);
    }
  }
  const tls = options.tlsSelfSigned ? await selfSignedCertificate([config.host]) : configuredTls(config);
  if (options.tlsSelfSigned) say('bulwark: serving HTTPS with a self-signed certificate: for local use only');
  const app = await buildServer(container, { tls });
  const closeAdmin = await listenAdminSocket(container);
  const address = await app.listen({ host: config.host, port: config.port });
  say(`bulwark: listening on ${address} (API docs at ${address}/docs)`);
  const redirect =
    tls && config.httpRedirectPort ? await listenHttpsRedirect(config, config.httpRedirectPort) : null;
  if (redirect) say(`bulwark: redirecting http://${config.host}:${config.httpRedirectPort} to HTTPS`);
  container.notify.startDelivery({ log: app.log });
  container.respond.start();
  // Scheduled drills attack this instance from outside, through its own listening address.
  const drills = setInterval(() => {
    void container.drillSchedule
      .runDue(address)
      .catch((error: unknown) =>
        app.log.warn(
          { code: String((error as { code?: unknown })?.code ?? 'EDRILL') },
          'scheduled drill failed',
        ),
      );
  }, 60_000);
  drills.unref();
  container.trail.startCheckpoints();
  await container.trail.recordConfiguration(config);
  if (!config.smtpUrl && config.env === 'development') {
    say(
      `bulwark: BULWARK_SMTP_URL is not set: e-mail is written as .eml files under ${mailDirectory(config.dataDir)}`,
    );
  } else if (!config.smtpUrl) {
    const { pending, sending } = await container.notify.outboxCounts();
    say(
      `bulwark: BULWARK_SMTP_URL is not set: ${pending + sending} e-mails wait in the outbox (in-app notices still appear)`,
    );
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`bulwark: ${signal} received, draining`);
    await app.close();
    await redirect?.close();
    await container.notify.stopDelivery();
    await closeAdmin();
    await container.close();
    lock?.release();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
