/** The validated, frozen configuration every part of Bulwark reads. Units are in the names or comments. */
export interface Config {
  readonly env: 'development' | 'test' | 'production';
  readonly host: string;
  readonly port: number;
  /** Where PGlite, the key file, blobs and the admin socket live. */
  readonly dataDir: string;
  /** PostgreSQL when set; PGlite in `dataDir` otherwise. Never logged (it may hold a password). */
  readonly databaseUrl: Secret | null;
  readonly redisUrl: Secret | null;
  /** 32 bytes, base64 or hex. When absent a key file in `dataDir` is used (development only). */
  readonly masterKey: Secret | null;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** CIDRs whose X-Forwarded-For is believed. Empty: the socket address is the client. */
  readonly trustedProxies: readonly string[];
  /**
   * Instant top-ups from a development payment provider. Off in production, and off by default whenever
   * the server listens beyond loopback, so a forgotten NODE_ENV does not mint money for the world.
   */
  readonly devPayments: boolean;
  /** Cookies carry `Secure`: always in production, and whenever the server listens beyond loopback. */
  readonly secureCookies: boolean;
  /** Apply pending migrations on start (development default); in production run `bulwark migrate`. */
  readonly autoMigrate: boolean;
  /** Seed a small demo set when the database has no users (development default). */
  readonly seedDemo: boolean;
  /** Largest JSON body accepted: 1 MiB by default. */
  readonly bodyLimitBytes: number;
  /** Largest QC photo accepted: 5 MiB by default. */
  readonly photoLimitBytes: number;
  /** Lifetime of a signed API access token: at most 15 minutes. */
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly sessionTtlSeconds: number;
  /** The address users reach Bulwark at: links in messages, the WebAuthn origin. No trailing slash. */
  readonly publicUrl: string;
  /** WebAuthn relying-party ID: the public URL's host name unless set. */
  readonly webauthnRpId: string;
  /** Outgoing mail (smtp:// or smtps://). Without it messages wait in the outbox and appear in-app. */
  readonly smtpUrl: Secret | null;
  readonly mailFrom: string;
  /** Have I Been Pwned range API (k-anonymity), e.g. https://api.pwnedpasswords.com/range/. Off when null. */
  readonly hibpRangeUrl: string | null;
  readonly hibpTimeoutMs: number;
  /** Argon2id cost for new password hashes; older, cheaper hashes are upgraded at the next login. */
  readonly argon2: { readonly memoryCost: number; readonly timeCost: number; readonly parallelism: number };
  /** Origins (besides the public URL's) whose pages may call the API from a browser. */
  readonly corsOrigins: readonly string[];
  /** Slow clients: the whole header block must arrive within this (slowloris). */
  readonly headersTimeoutMs: number;
  /** Longest a route's handler may take before the caller gets a 503. */
  readonly routeTimeLimitMs: number;
  /** PEM files for built-in HTTPS; both or neither. */
  readonly tlsCertFile: string | null;
  readonly tlsKeyFile: string | null;
  /** With TLS on: a plain-HTTP port that only redirects to HTTPS. */
  readonly httpRedirectPort: number | null;
  /** How recent an authentication must be for a sensitive action (step-up): 5 minutes by default. */
  readonly stepUpSeconds: number;
  /** Request budgets per layer (shield): never off, only higher or lower. */
  readonly rateLimits: RateLimits;
  /** Distinct people whose personal data each role may reveal per rolling hour and day (shield). */
  readonly piiBudgets: PiiBudgets;
  /** Most people one two-person bulk export of personal data may hold: 500 by default. */
  readonly piiExportMaxSubjects: number;
  /** Leading zero bits of SHA-256 a suspect source's proof of work must show: 18 by default. */
  readonly challengeDifficulty: number;
  /** The trail: a signed checkpoint every this many entries (1000) or this many seconds (60), whichever first. */
  readonly trailCheckpointEvery: number;
  readonly trailCheckpointSeconds: number;
  /** Also POST each checkpoint here (https), besides the file in the data directory. */
  readonly trailWebhookUrl: string | null;
  /** Detection thresholds (BULWARK_WATCH_*). */
  readonly watch: WatchThresholds;
  /**
   * Whether detection contains (revokes, locks, blocks) or only alerts: on by default; off is a monitoring
   * mode for tuning thresholds on a new deployment.
   */
  readonly watchContain: boolean;
  /** Where alerts are posted as JSON (through the outbound fetcher); none when null. */
  readonly watchWebhookUrl: string | null;
  /** First retry of a refused alert delivery (seconds); doubled each time, at most 10 minutes apart. */
  readonly watchWebhookRetrySeconds: number;
  /** Where alerts are e-mailed (through notify's outbox); none when null. */
  readonly watchAlertEmail: string | null;
  /** A bearer token that may read /metrics; with neither it nor an allow-list, /metrics answers 404. */
  readonly metricsToken: Secret | null;
  /** Client addresses (CIDR) that may read /metrics without the token. */
  readonly metricsAllow: readonly string[];
  /** Entries are kept this long (400 days; never under 365), then archived and pruned. */
  readonly trailRetentionDays: number;
  /** Who breach notices and regulator reports name as the organisation and its contact point. */
  readonly privacy: PrivacyContact;
  /** How long an outbox claim lasts before another worker may try the message (120 s; above SMTP timeouts). */
  readonly outboxLeaseSeconds: number;
}

/** The controller and contact point every breach notice and report must name (GDPR Art. 33(3)(b) and kin). */
export interface PrivacyContact {
  readonly organisation: string;
  /** Where people and regulators reach the privacy team; also where regulator reports are sent for filing. */
  readonly email: string;
  readonly phone: string | null;
  /** The data protection officer (or other contact point) by name, when there is one. */
  readonly officer: string | null;
  /** Per regulator key (e.g. `uk`, `kr`, `eu-DE`): an address that takes reports by e-mail. */
  readonly regulatorAddresses: Readonly<Record<string, string>>;
}

/** Roles with a PII read budget of their own: the staff roles and service API keys. Anyone else has none. */
export const PII_BUDGET_ROLES = ['support', 'warehouse', 'finance', 'security', 'admin', 'service'] as const;
export type PiiBudgetRole = (typeof PII_BUDGET_ROLES)[number];

/** Distinct subjects an actor may reveal in any rolling hour and any rolling day; 0/0 reveals nothing. */
export interface PiiBudget {
  readonly perHour: number;
  readonly perDay: number;
}
export type PiiBudgets = Readonly<Record<PiiBudgetRole, PiiBudget>>;

/** Points a key may spend per window of `durationSeconds`; a request spends 1, or its route's cost. */
export interface RateBudget {
  readonly points: number;
  readonly durationSeconds: number;
}

export const RATE_LIMIT_LAYERS = [
  'ip',
  'network',
  'global',
  'principal',
  'route',
  'account',
  'listing',
] as const;
export type RateLimitLayer = (typeof RATE_LIMIT_LAYERS)[number];
export type RateLimits = Readonly<Record<RateLimitLayer, RateBudget>>;

/**
 * A value that must never be printed: JSON, string conversion and util.inspect all show a placeholder.
 * WARNING: `reveal()` is the only way to the value; call it at the point of use only.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[secret]';
  }
  toJSON(): string {
    return '[secret]';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '[secret]';
  }
}

/** What detection counts as an attack; every window is in seconds. Defaults in load-config.ts. */
export interface WatchThresholds {
  /** Sliding window of most rules (seconds). */
  readonly windowSeconds: number;
  /** Distinct accounts failing to log in from one network within the window: credential stuffing. */
  readonly stuffingAccounts: number;
  /** Failed logins everywhere within the window: a global spike. */
  readonly globalFailures: number;
  /** Failed logins on one account before a success within the window: account takeover. */
  readonly takeoverFailures: number;
  /** Distinct objects one principal is refused (403/404) within the window: enumeration. */
  readonly enumerationObjects: number;
  /** PII budget refusals of one actor within the window before containment (1: the first). */
  readonly budgetRefusals: number;
  /** Reveals in the window above this many times the actor's own baseline (and above the floor). */
  readonly revealFactor: number;
  readonly revealFloor: number;
  /** Distinct networks one session is used from within the window: a stolen token used elsewhere. */
  readonly sessionNetworks: number;
  /** Listing refusals (429 on paged reads) of one caller within the window: scraping. */
  readonly scrapingRefusals: number;
  /** How long a network stays blocked or challenged (seconds). */
  readonly blockSeconds: number;
  /** Distinct people one staff member or key is shown outside working hours within the window. */
  readonly offHoursReveals: number;
  /** Working hours [start, end) in `timeZone`, whole hours 0–24; start > end spans midnight. */
  readonly workHoursStart: number;
  readonly workHoursEnd: number;
  /** IANA time zone of the working hours (the support team's). */
  readonly timeZone: string;
}
