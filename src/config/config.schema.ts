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
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly sessionTtlSeconds: number;
}

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
