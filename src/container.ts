import path from 'node:path';
import type { Config } from './config/index.ts';
import { type Commerce, createCommerce, type MarketplaceFakes } from './modules/commerce/index.ts';
import { createDrillSchedule, type DrillSchedule, recordDrillRun } from './modules/drill/index.ts';
import { createIdentity, type Identity, type Recipient } from './modules/identity/index.ts';
import { createNotify, type Notify } from './modules/notify/index.ts';
import { createRespond, type Respond } from './modules/respond/index.ts';
import {
  type ChallengeVerifier,
  createFreezes,
  createPiiBudget,
  createPiiExports,
  createSuspects,
  type Freezes,
  type PiiBudgetGuard,
  type PiiExports,
  proofOfWork,
  type Suspects,
} from './modules/shield/index.ts';
import { checkpointWebhook, createTrail, type Trail } from './modules/trail/index.ts';
import {
  CheckpointSigner,
  createPasswordHasher,
  fileShredLog,
  LocalMasterKeyProvider,
  loadRootKey,
  type RootKey,
  rotateMasterKey,
  type ShredLog,
  TokenSigner,
  Vault,
} from './modules/vault/index.ts';
import { createWatch, type Watch } from './modules/watch/index.ts';
import { type Clock, systemClock } from './platform/clock.ts';
import {
  type Database,
  type DatabaseOptions,
  type MigrationOutcome,
  migrateToLatest,
  openDatabase,
} from './platform/db/index.ts';
import { EventBus } from './platform/events.ts';
import { placeOf } from './platform/geo.ts';
import type { SessionId, UserId } from './platform/ids.ts';
import { fetcherFactory, type OutboundTestOptions } from './platform/outbound/index.ts';

/** Everything the server and the CLI need, wired once. The only place that knows every module. */
export interface Container {
  readonly config: Config;
  readonly clock: Clock;
  readonly database: Database;
  readonly events: EventBus;
  readonly vault: Vault;
  /** Signs and verifies access tokens (JWT, EdDSA) with rotating keys kept by the vault. */
  readonly signer: TokenSigner;
  readonly shredLog: ShredLog;
  readonly identity: Identity;
  readonly notify: Notify;
  readonly commerce: Commerce;
  /** PII read budgets per actor (the vault's budget hook) and two-person bulk exports (shield). */
  readonly piiBudget: PiiBudgetGuard;
  readonly piiExports: PiiExports;
  /** Sources marked as automated, and how they prove otherwise (proof of work unless an option says). */
  readonly suspects: Suspects;
  readonly freezes: Freezes;
  readonly drillSchedule: DrillSchedule;
  readonly challenges: ChallengeVerifier;
  /** The hash-chained audit trail (the vault's trail hook, search, scope, checkpoints, verification). */
  readonly trail: Trail;
  /** Detection: rules over the events, alerts, automatic containment, metrics. */
  readonly watch: Watch;
  readonly respond: Respond;
  /** Set when this start generated a new key file in the data directory. */
  readonly generatedKeyFile: string | null;
  /** Applies pending migrations and makes sure the keyring has a master key version and a signing key. */
  migrate(): Promise<MigrationOutcome>;
  close(): Promise<void>;
}

export interface ContainerOptions extends DatabaseOptions {
  readonly clock?: Clock;
  /** Tests pass their own root key so nothing is written to a data directory. */
  readonly rootKey?: RootKey;
  /**
   * WARNING: test-only. A resolver and the loopback fakes every outbound fetcher may reach (the breach
   * service, the marketplaces). Refused when the configuration is production; never read from the
   * environment.
   */
  readonly outbound?: OutboundTestOptions;
  /** WARNING: test-only. Marketplace item data served by fakes; refused when the configuration is production. */
  readonly marketplaceFakes?: MarketplaceFakes;
  /** A CAPTCHA (or other) verifier for suspect sources instead of the built-in proof of work. */
  readonly challengeVerifier?: ChallengeVerifier;
  /** Where detection reports what it could not do (an alert not stored, a containment that failed). */
  readonly watchLog?: (message: string) => void;
}

export async function createContainer(config: Config, options: ContainerOptions = {}): Promise<Container> {
  const clock = options.clock ?? systemClock;
  if ((options.outbound || options.marketplaceFakes) && config.env === 'production') {
    throw new Error('outbound test options cannot be used in production');
  }
  // Every outbound request of every module goes through fetchers made here (DESIGN §3).
  const outbound = fetcherFactory(options.outbound);
  const keySource = options.rootKey ? null : loadRootKey(config);
  const root = options.rootKey ?? (keySource?.root as RootKey);
  const hasher = await createPasswordHasher(config.argon2);
  const database = await openDatabase(config, options);
  const db = database.db;
  const events = new EventBus();
  const shredLog = fileShredLog(path.join(config.dataDir, 'shredded-keys.log'));
  const provider = new LocalMasterKeyProvider(root);
  const vault = new Vault({ provider, root, events, clock, shredLog });
  const signer = new TokenSigner({ db, provider, clock, config });
  // Identity sends through notify, and notify reads addresses through identity: the address look-up is
  // resolved when a message is sent, long after both exist.
  const notify = createNotify({
    db,
    vault,
    clock,
    config,
    events,
    addressOf: (trx, userId) => identity.accounts.addressOf(trx, userId),
    phraseOf: (trx, userId) => identity.accounts.antiPhishingOf(trx, userId),
  });
  const identityDeps = {
    db,
    vault,
    hasher,
    clock,
    config,
    messenger: notify.messenger,
    signer,
    locate: placeOf,
    outbound,
    events,
  };
  const identity: Identity = createIdentity(identityDeps);
  const commerce = createCommerce({
    db,
    vault,
    clock,
    config,
    accounts: identity.accounts,
    sessions: identity.sessions,
    logins: identity.logins,
    outbound,
    ...(options.marketplaceFakes ? { marketplaceFakes: options.marketplaceFakes } : {}),
  });
  // Every reveal passes the budget before plaintext leaves the vault (DESIGN §3 step 10).
  const piiBudget = createPiiBudget({ config, clock, events });
  // The trail records each reveal in the caller's transaction, after the budget and before decryption.
  const trail = createTrail({
    db,
    config,
    clock,
    events,
    signer: new CheckpointSigner({ db, root, clock }),
    ...(config.trailWebhookUrl ? { publish: checkpointWebhook(config.trailWebhookUrl, outbound) } : {}),
    connectionString: database.kind === 'postgres' ? (config.databaseUrl?.reveal() ?? null) : null,
  });
  vault.setRevealHooks({
    budget: (request, trx) => piiBudget.check(trx, request),
    trail: (request, trx) => trail.recordReveal(request, trx),
  });
  const piiExports = createPiiExports({
    db,
    clock,
    config,
    events,
    budget: piiBudget,
    subjects: {
      find: (query, limit) => identity.accounts.shopperIds(query, limit),
      reveal: (principal, subjectId, fields, purpose, grant) =>
        commerce.customers.reveal(principal, subjectId, fields, purpose, grant),
    },
  });
  const suspects = createSuspects({ db, clock, events });
  const freezes = createFreezes({ db, clock });
  const challenges =
    options.challengeVerifier ?? proofOfWork({ vault, clock, db, difficulty: config.challengeDifficulty });
  const watch = createWatch({
    config,
    db,
    clock,
    events,
    outbound,
    trail,
    suspects,
    sessions: identity.sessions,
    accounts: identity.accounts,
    apiKeys: identity.apiKeys,
    messenger: notify.messenger,
    ...(options.watchLog ? { log: options.watchLog } : {}),
  });
  await watch.start();
  // High-severity alerts open incidents (or join the one about the same principals and networks).
  let rotating: Promise<unknown> = Promise.resolve();
  const respond = createRespond({
    db,
    clock,
    events,
    alert: (alertId) => watch.alert(alertId),
    trailScope: (principals, from, to) =>
      trail.scope({ kind: 'system', purpose: 'incident scope' }, principals, from, to),
    countriesOf: (subjectIds) => identity.accounts.countriesOf(subjectIds),
    privacy: config.privacy,
    send: (trx, to, message) => notify.messenger.send(trx, to as Recipient, message),
    outcomes: (ids) => notify.outcomes(ids),
    languagesOf: async (subjectIds) =>
      new Map(
        [...(await identity.accounts.localesOf(subjectIds))].map(([id, locale]) => [id, locale.language]),
      ),
    accountCount: () => identity.accounts.count(),
    actions: {
      contain: async (kind, target, reason) => {
        await watch.containment.apply(
          {
            kind,
            targetType: target.type,
            targetId: target.id,
            ...(kind.startsWith('network.') ? { seconds: 86_400 } : {}),
          },
          null,
          reason,
        );
      },
      verifyTrail: () => trail.verify(),
      // One rotation at a time in this process (two playbooks, or a playbook and `bulwark keys rotate`).
      rotateMasterKey: () => {
        const run = rotating.then(() => rotateMasterKey(db, { provider, vault, events }));
        rotating = run.catch(() => {});
        return run;
      },
      rotateSigningKey: () => signer.rotateSigningKey(),
      revokeAllSessions: async (exceptSessionId) => {
        const sessions = await identity.sessions.revokeEveryone(exceptSessionId as SessionId);
        let keys = 0;
        for (const key of await identity.apiKeys.list()) {
          if (key.revokedAt !== null) continue;
          await identity.apiKeys.revoke(key.id);
          keys += 1;
        }
        return { sessions, keys };
      },
      checkFreeze: (prefix) => freezes.check(prefix),
      forcePasswordResets: (except) => identity.accounts.requirePasswordResetForEveryone(except as UserId),
      freeze: (order, reason, actorId) => freezes.freeze(order.prefix, order.mode, reason, actorId),
    },
    ...(options.watchLog ? { log: options.watchLog } : {}),
  });
  return {
    config,
    clock,
    database,
    events,
    vault,
    signer,
    shredLog,
    identity,
    notify,
    commerce,
    piiBudget,
    piiExports,
    suspects,
    freezes,
    drillSchedule: createDrillSchedule({
      db,
      clock,
      record: async (ranBy, results) => {
        await recordDrillRun({ db, clock }, ranBy, results);
      },
    }),
    challenges,
    trail,
    watch,
    respond,
    generatedKeyFile: keySource?.generatedFile ?? null,
    async migrate() {
      const outcome = await migrateToLatest(db);
      await provider.initialise(db);
      await signer.initialise();
      return outcome;
    },
    async close() {
      // The worker's pass in flight finishes before the database goes away.
      await watch.stop();
      await respond.stop();
      await notify.stopDelivery();
      await trail.stop();
      await signer.close();
      await database.close();
    },
  };
}
