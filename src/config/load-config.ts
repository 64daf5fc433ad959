import fs from 'node:fs';
import path from 'node:path';
import {
  type Config,
  PII_BUDGET_ROLES,
  type PiiBudget,
  type PiiBudgetRole,
  type PiiBudgets,
  type PrivacyContact,
  type RateBudget,
  type RateLimits,
  Secret,
  type WatchThresholds,
} from './config.schema.ts';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const ENVS = ['development', 'test', 'production'] as const;

/** Parse the environment once, refuse anything wrong with one line naming the variable, and freeze. */
export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const nodeEnv = oneOf(env, 'NODE_ENV', ENVS, 'development');
  const host = hostName(env, 'HOST', '127.0.0.1');
  const production = nodeEnv === 'production';
  const port = integer(env, 'PORT', 8080, 0, 65535);
  const publicUrl = publicBaseUrl(env, 'BULWARK_PUBLIC_URL', `http://localhost:${port}`);
  const config: Config = {
    env: nodeEnv,
    host,
    port,
    dataDir: path.resolve(nonEmpty(env, 'BULWARK_DATA_DIR', './data')),
    databaseUrl: postgresUrl(env, 'DATABASE_URL'),
    redisUrl: redisUrl(env, 'REDIS_URL'),
    masterKey: masterKey(env, 'BULWARK_MASTER_KEY', production),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, nodeEnv === 'test' ? 'silent' : 'info'),
    trustedProxies: cidrList(env, 'BULWARK_TRUSTED_PROXIES'),
    devPayments: devPayments(env, production, isLoopback(host)),
    secureCookies: production || !isLoopback(host),
    autoMigrate: boolean(env, 'BULWARK_AUTO_MIGRATE', !production),
    seedDemo: boolean(env, 'BULWARK_SEED_DEMO', nodeEnv === 'development'),
    bodyLimitBytes: integer(env, 'BULWARK_BODY_LIMIT_BYTES', 1024 * 1024, 1024, 16 * 1024 * 1024),
    photoLimitBytes: integer(env, 'BULWARK_PHOTO_LIMIT_BYTES', 5 * 1024 * 1024, 1024, 32 * 1024 * 1024),
    accessTokenTtlSeconds: integer(env, 'BULWARK_ACCESS_TOKEN_TTL', 900, 60, 900),
    refreshTokenTtlSeconds: integer(env, 'BULWARK_REFRESH_TOKEN_TTL', 30 * 86400, 3600, 90 * 86400),
    sessionTtlSeconds: integer(env, 'BULWARK_SESSION_TTL', 12 * 3600, 300, 30 * 86400),
    publicUrl,
    webauthnRpId: hostName(env, 'BULWARK_WEBAUTHN_RP_ID', new URL(publicUrl).hostname),
    smtpUrl: smtpUrl(env, 'BULWARK_SMTP_URL'),
    mailFrom: nonEmpty(env, 'BULWARK_MAIL_FROM', 'Bulwark <no-reply@localhost>'),
    hibpRangeUrl: optionalHttpUrl(env, 'BULWARK_HIBP_URL'),
    hibpTimeoutMs: integer(env, 'BULWARK_HIBP_TIMEOUT_MS', 1500, 100, 10_000),
    corsOrigins: originList(env, 'BULWARK_CORS_ORIGINS'),
    headersTimeoutMs: integer(env, 'BULWARK_HEADERS_TIMEOUT_MS', 10_000, 500, 60_000),
    routeTimeLimitMs: integer(env, 'BULWARK_ROUTE_TIME_LIMIT_MS', 20_000, 1_000, 120_000),
    ...tlsFiles(env),
    httpRedirectPort: optionalInteger(env, 'BULWARK_HTTP_REDIRECT_PORT', 1, 65535),
    stepUpSeconds: integer(env, 'BULWARK_STEP_UP_SECONDS', 300, 30, 900),
    // Never below OWASP's minimum (19 MiB, 2 passes); 128 MiB and 3 passes (about 10× that) unless set.
    argon2: {
      memoryCost: integer(env, 'BULWARK_ARGON2_MEMORY_KIB', 128 * 1024, 19 * 1024, 1024 * 1024),
      timeCost: integer(env, 'BULWARK_ARGON2_TIME_COST', 3, 2, 10),
      parallelism: integer(env, 'BULWARK_ARGON2_PARALLELISM', 1, 1, 8),
    },
    rateLimits: rateLimits(env, nodeEnv === 'test'),
    piiBudgets: piiBudgets(env),
    piiExportMaxSubjects: integer(env, 'BULWARK_PII_EXPORT_MAX_SUBJECTS', 500, 1, 5_000),
    // 2^18 hashes: well under a second in a browser, a real cost to a script making thousands of tries.
    challengeDifficulty: integer(env, 'BULWARK_CHALLENGE_DIFFICULTY', 18, 1, 32),
    trailCheckpointEvery: integer(env, 'BULWARK_TRAIL_CHECKPOINT_EVERY', 1000, 1, 1_000_000),
    trailCheckpointSeconds: integer(env, 'BULWARK_TRAIL_CHECKPOINT_SECONDS', 60, 1, 86_400),
    trailWebhookUrl: optionalHttpUrl(env, 'BULWARK_TRAIL_WEBHOOK_URL'),
    // A year at least: what a breach investigation and most notification rules look back on.
    trailRetentionDays: integer(env, 'BULWARK_TRAIL_RETENTION_DAYS', 400, 365, 3_650),
    watch: watchThresholds(env),
    watchContain: boolean(env, 'BULWARK_WATCH_CONTAIN', true),
    watchWebhookUrl: optionalHttpUrl(env, 'BULWARK_WATCH_WEBHOOK_URL'),
    watchWebhookRetrySeconds: integer(env, 'BULWARK_WATCH_WEBHOOK_RETRY_SECONDS', 5, 1, 3_600),
    watchAlertEmail: optionalEmail(env, 'BULWARK_WATCH_ALERT_EMAIL'),
    metricsToken: metricsToken(env, 'BULWARK_METRICS_TOKEN'),
    metricsAllow: cidrList(env, 'BULWARK_METRICS_ALLOW'),
    privacy: privacyContact(env, publicUrl),
    outboxLeaseSeconds: integer(env, 'BULWARK_OUTBOX_LEASE_SECONDS', 120, 5, 3_600),
    ...overrides,
  };
  return Object.freeze(config);
}

function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function nonEmpty(env: Env, name: string, fallback: string): string {
  return raw(env, name) ?? fallback;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new ConfigError(name, 'must be a whole number');
  const parsed = Number(value);
  if (parsed < min || parsed > max) throw new ConfigError(name, `must be between ${min} and ${max}`);
  return parsed;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(value.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(value.toLowerCase())) return false;
  throw new ConfigError(name, 'must be true or false');
}

function hostName(env: Env, name: string, fallback: string): string {
  const value = raw(env, name) ?? fallback;
  if (!/^[A-Za-z0-9.:-]+$/.test(value) || value.length > 253) {
    throw new ConfigError(name, 'must be a host name or an IP address');
  }
  return value;
}

function parseUrl(name: string, value: string, protocols: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // The value may hold a password: never echo it.
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return url;
}

function postgresUrl(env: Env, name: string): Secret | null {
  const value = raw(env, name);
  if (value === undefined) return null;
  parseUrl(name, value, ['postgres:', 'postgresql:']);
  return new Secret(value);
}

function redisUrl(env: Env, name: string): Secret | null {
  const value = raw(env, name);
  if (value === undefined) return null;
  parseUrl(name, value, ['redis:', 'rediss:']);
  return new Secret(value);
}

function tlsFiles(env: Env): { tlsCertFile: string | null; tlsKeyFile: string | null } {
  const cert = raw(env, 'BULWARK_TLS_CERT');
  const key = raw(env, 'BULWARK_TLS_KEY');
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError(
      cert === undefined ? 'BULWARK_TLS_CERT' : 'BULWARK_TLS_KEY',
      'is needed too: set both or neither',
    );
  }
  if (cert === undefined || key === undefined) return { tlsCertFile: null, tlsKeyFile: null };
  for (const [name, file] of [
    ['BULWARK_TLS_CERT', cert],
    ['BULWARK_TLS_KEY', key],
  ] as const) {
    try {
      fs.accessSync(file, fs.constants.R_OK);
    } catch {
      throw new ConfigError(name, 'names a file that cannot be read');
    }
  }
  return { tlsCertFile: path.resolve(cert), tlsKeyFile: path.resolve(key) };
}

function originList(env: Env, name: string): string[] {
  const value = raw(env, name);
  if (value === undefined) return [];
  return value.split(',').map((entry) => {
    const origin = entry.trim();
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError(
        name,
        'must be a comma-separated list of origins such as https://shop.example.com',
      );
    }
    if (!['https:', 'http:'].includes(url.protocol) || url.origin !== origin) {
      throw new ConfigError(
        name,
        'must be a comma-separated list of origins such as https://shop.example.com',
      );
    }
    return origin;
  });
}

function optionalInteger(env: Env, name: string, min: number, max: number): number | null {
  return raw(env, name) === undefined ? null : integer(env, name, 0, min, max);
}

function smtpUrl(env: Env, name: string): Secret | null {
  const value = raw(env, name);
  if (value === undefined) return null;
  parseUrl(name, value, ['smtp:', 'smtps:']);
  return new Secret(value);
}

function optionalHttpUrl(env: Env, name: string): string | null {
  const value = raw(env, name);
  return value === undefined ? null : parseUrl(name, value, ['https:', 'http:']).href;
}

function publicBaseUrl(env: Env, name: string, fallback: string): string {
  const url = parseUrl(name, raw(env, name) ?? fallback, ['https:', 'http:']);
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(name, 'must be a bare origin such as https://shop.example.com');
  }
  return url.origin;
}

function masterKey(env: Env, name: string, required: boolean): Secret | null {
  const value = raw(env, name);
  if (value === undefined && required) {
    // A key file beside the database would put the key in every copy of the data.
    throw new ConfigError(name, 'is required in production (the key must not live beside the database)');
  }
  if (value === undefined) return null;
  const bytes = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (bytes.length !== 32) throw new ConfigError(name, 'must be 32 bytes, as 64 hex digits or base64');
  return new Secret(bytes.toString('base64'));
}

function cidrList(env: Env, name: string): string[] {
  const value = raw(env, name);
  if (value === undefined) return [];
  const entries = value.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    if (!/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(entry)) {
      throw new ConfigError(name, 'must be a comma-separated list of IP addresses or CIDR ranges');
    }
  }
  return entries;
}

// Production and development defaults (DESIGN §3): a browser's bursts pass, a flood does not. Costs
// weigh the principal and route layers: a login spends 10 of the route's 120 points, a sign-up 20.
const RATE_LIMIT_DEFAULTS: RateLimits = {
  ip: { points: 600, durationSeconds: 60 },
  network: { points: 3000, durationSeconds: 60 },
  global: { points: 5000, durationSeconds: 1 },
  principal: { points: 1200, durationSeconds: 60 },
  route: { points: 120, durationSeconds: 60 },
  account: { points: 20, durationSeconds: 900 },
  // Rows a person or key may page through per hour across every listing: a shopper's whole history
  // and a busy staff shift fit; a scrape of everyone's orders does not.
  listing: { points: 5000, durationSeconds: 3600 },
};
// NODE_ENV=test multiplies the default points (never to "off"): suites make bursts from one address,
// and the limit tests set their own tight budgets.
const TEST_RATE_FACTOR = 1000;

function rateLimits(env: Env, test: boolean): RateLimits {
  const budget = (name: string, fallback: RateBudget): RateBudget => {
    const value = raw(env, name);
    if (value === undefined) {
      return test ? { ...fallback, points: fallback.points * TEST_RATE_FACTOR } : fallback;
    }
    const match = /^(\d{1,9})\/(\d{1,6})$/.exec(value);
    const points = Number(match?.[1]);
    const durationSeconds = Number(match?.[2]);
    // There is no "off": a layer can only be given a bigger budget.
    if (!match || points < 1 || durationSeconds < 1 || durationSeconds > 86_400) {
      throw new ConfigError(
        name,
        'must be points/seconds, such as 300/60 (1 to 86400 seconds; limits cannot be off)',
      );
    }
    return { points, durationSeconds };
  };
  const d = RATE_LIMIT_DEFAULTS;
  return Object.freeze({
    ip: budget('BULWARK_RATE_LIMIT_IP', d.ip),
    network: budget('BULWARK_RATE_LIMIT_NETWORK', d.network),
    global: budget('BULWARK_RATE_LIMIT_GLOBAL', d.global),
    principal: budget('BULWARK_RATE_LIMIT_PRINCIPAL', d.principal),
    route: budget('BULWARK_RATE_LIMIT_ROUTE', d.route),
    account: budget('BULWARK_RATE_LIMIT_ACCOUNT', d.account),
    listing: budget('BULWARK_RATE_LIMIT_LISTING', d.listing),
  });
}

// DESIGN §5: support reveals a customer's details with a reason, admins rarely, the warehouse a parcel's
// recipient; every other role and service keys reveal nothing unless an operator gives them a budget.
const PII_BUDGET_DEFAULTS: PiiBudgets = {
  support: { perHour: 50, perDay: 200 },
  warehouse: { perHour: 100, perDay: 400 },
  finance: { perHour: 0, perDay: 0 },
  security: { perHour: 0, perDay: 0 },
  admin: { perHour: 20, perDay: 100 },
  service: { perHour: 0, perDay: 0 },
};

function piiBudgets(env: Env): PiiBudgets {
  const budgets = {} as Record<PiiBudgetRole, PiiBudget>;
  for (const role of PII_BUDGET_ROLES) {
    const name = `BULWARK_PII_BUDGET_${role.toUpperCase()}`;
    const value = raw(env, name);
    if (value === undefined) {
      budgets[role] = PII_BUDGET_DEFAULTS[role];
      continue;
    }
    const match = /^(\d{1,6})\/(\d{1,6})$/.exec(value);
    const perHour = Number(match?.[1]);
    const perDay = Number(match?.[2]);
    if (!match || perHour > perDay || (perHour === 0) !== (perDay === 0)) {
      throw new ConfigError(
        name,
        'must be people per hour/per day, such as 50/200 (the hour budget at most the day budget; 0/0 for none)',
      );
    }
    budgets[role] = { perHour, perDay };
  }
  return Object.freeze(budgets);
}

function devPayments(env: Env, production: boolean, loopback: boolean): boolean {
  const enabled = boolean(env, 'BULWARK_DEV_PAYMENTS', !production && loopback);
  if (enabled && production) throw new ConfigError('BULWARK_DEV_PAYMENTS', 'cannot be on in production');
  return enabled;
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Detection thresholds; defaults sized so a busy normal day raises nothing (test/watch/normal-day.test.ts). */
function watchThresholds(env: Env): WatchThresholds {
  const n = (name: string, fallback: number, min: number, max: number) =>
    integer(env, `BULWARK_WATCH_${name}`, fallback, min, max);
  return Object.freeze({
    windowSeconds: n('WINDOW_SECONDS', 600, 10, 86_400),
    stuffingAccounts: n('STUFFING_ACCOUNTS', 20, 2, 100_000),
    globalFailures: n('GLOBAL_FAILURES', 1_000, 10, 10_000_000),
    takeoverFailures: n('TAKEOVER_FAILURES', 5, 1, 1_000),
    enumerationObjects: n('ENUMERATION_OBJECTS', 10, 2, 10_000),
    budgetRefusals: n('BUDGET_REFUSALS', 1, 1, 1_000),
    revealFactor: n('REVEAL_FACTOR', 10, 2, 1_000),
    revealFloor: n('REVEAL_FLOOR', 100, 1, 100_000),
    sessionNetworks: n('SESSION_NETWORKS', 3, 2, 1_000),
    scrapingRefusals: n('SCRAPING_REFUSALS', 5, 1, 100_000),
    blockSeconds: n('BLOCK_SECONDS', 3_600, 10, 7 * 86_400),
    offHoursReveals: n('OFF_HOURS_REVEALS', 25, 1, 100_000),
    ...workHours(env, 'BULWARK_WATCH_WORK_HOURS'),
    timeZone: timeZone(env, 'BULWARK_WATCH_TIME_ZONE'),
  });
}

/** `HH-HH` in whole hours, e.g. `07-20` (from 07:00 until 20:00) or `22-06` across midnight. */
function workHours(env: Env, name: string): { workHoursStart: number; workHoursEnd: number } {
  const value = raw(env, name) ?? '07-20';
  const match = /^(\d{1,2})-(\d{1,2})$/.exec(value);
  const start = Number(match?.[1]);
  const end = Number(match?.[2]);
  if (!match || start > 23 || end > 24 || start === end) {
    throw new ConfigError(name, 'must be two different hours as HH-HH, e.g. 07-20');
  }
  return { workHoursStart: start, workHoursEnd: end };
}

function timeZone(env: Env, name: string): string {
  const value = raw(env, name) ?? 'UTC';
  try {
    return new Intl.DateTimeFormat('en', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    throw new ConfigError(name, 'must be an IANA time zone such as Asia/Shanghai or UTC');
  }
}

function optionalEmail(env: Env, name: string): string | null {
  const value = raw(env, name);
  if (value === undefined) return null;
  if (!/^[^\s@]+@[^\s@]+$/.test(value) || value.length > 254)
    throw new ConfigError(name, 'must be an e-mail address');
  return value;
}

/** `BULWARK_PRIVACY_*`: the name and contact point breach notices give; the e-mail defaults to privacy@ the public host. */
function privacyContact(env: Env, publicUrl: string): PrivacyContact {
  const host = new URL(publicUrl).hostname;
  const text = (name: string, max: number): string | null => {
    const value = raw(env, name);
    if (value === undefined) return null;
    if (value.length > max || /[\p{Cc}]/u.test(value)) {
      throw new ConfigError(name, `must be one line of at most ${max} characters`);
    }
    return value;
  };
  return {
    organisation: text('BULWARK_PRIVACY_ORGANISATION', 200) ?? 'Bulwark',
    email: optionalEmail(env, 'BULWARK_PRIVACY_EMAIL') ?? `privacy@${host}`,
    phone: text('BULWARK_PRIVACY_PHONE', 40),
    officer: text('BULWARK_PRIVACY_OFFICER', 200),
    regulatorAddresses: regulatorAddresses(env, 'BULWARK_REGULATOR_ADDRESSES'),
  };
}

/** `uk=breach@regulator.example,kr=report@…`: regulators that take reports by e-mail. */
function regulatorAddresses(env: Env, name: string): Record<string, string> {
  const value = raw(env, name);
  if (value === undefined) return {};
  const found: Record<string, string> = {};
  for (const pair of value.split(',')) {
    const match = /^\s*([a-z]{2}(?:-[A-Za-z]{2,8})?)=([^\s@,]+@[^\s@,]+)\s*$/.exec(pair);
    if (!match?.[1] || !match[2] || match[2].length > 254) {
      throw new ConfigError(
        name,
        'must be a comma-separated list of regulator=address, e.g. uk=report@example.org',
      );
    }
    found[match[1]] = match[2];
  }
  return found;
}

function metricsToken(env: Env, name: string): Secret | null {
  const value = raw(env, name);
  if (value === undefined) return null;
  // Compared in constant time; short tokens are guessable.
  if (value.length < 24) throw new ConfigError(name, 'must be at least 24 characters');
  return new Secret(value);
}
