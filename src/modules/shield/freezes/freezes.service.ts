import type { Kysely } from 'kysely';
import type { Clock } from '../../../platform/clock.ts';
import type { AnyDb } from '../../../platform/db/index.ts';
import { ShieldErrors } from '../shield.errors.ts';

export type FreezeMode = 'read_only' | 'off';

export interface Freeze {
  readonly prefix: string;
  readonly mode: FreezeMode;
  readonly reason: string;
  readonly frozenBy: string;
  readonly frozenAt: Date;
}

interface FreezesTable {
  prefix: string;
  mode: FreezeMode;
  reason: string;
  frozenBy: string;
  frozenAt: Date;
}
type FreezesDb = Kysely<{ shieldRouteFreezes: FreezesTable }>;

/**
 * Paths a freeze may never cover: signing in, the security console and operations. Whoever froze the
 * platform must still be able to reach it and lift the freeze.
 */
const NEVER_FROZEN = [
  '/v1/auth',
  '/v1/security',
  '/v1/admin',
  '/v1/me/sessions',
  '/v1/me/mfa',
  '/v1/me/password',
  '/v1/me/passkeys',
  '/healthz',
  '/readyz',
  '/metrics',
];
/** How long a node trusts its copy of the freezes: another node's freeze applies here within this. */
const REFRESH_MS = 2_000;

/** A path prefix in our API's shape: `/v1/orders`, `/v1/staff/customers`. */
export const FREEZE_PREFIX = /^\/v1(\/[a-z0-9-]+){1,4}$/;

export function createFreezes(deps: { db: AnyDb; clock: Clock }) {
  const db = deps.db as unknown as FreezesDb;
  let cached: Freeze[] = [];
  let loadedAt = 0;
  let loading: Promise<Freeze[]> | null = null;

  async function load(): Promise<Freeze[]> {
    cached = await db.selectFrom('shieldRouteFreezes').selectAll().orderBy('prefix').execute();
    loadedAt = Date.now();
    return cached;
  }

  /** The freezes in force, at most REFRESH_MS old (one read at a time, however many requests wait). */
  async function current(): Promise<Freeze[]> {
    if (Date.now() - loadedAt < REFRESH_MS) return cached;
    loading ??= load().finally(() => {
      loading = null;
    });
    return loading;
  }

  return {
    list: load,

    /** What a request to `url` with `method` meets: nothing, or the freeze that stops it. */
    async stopping(url: string, method: string): Promise<Freeze | null> {
      const freezes = await current();
      if (freezes.length === 0) return null;
      const safe = method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
      for (const freeze of freezes) {
        const covered = url === freeze.prefix || url.startsWith(`${freeze.prefix}/`);
        if (covered && (freeze.mode === 'off' || !safe)) return freeze;
      }
      return null;
    },

    /** Refuses a prefix that may not be frozen (a 422 naming why); the kill switch checks before it starts. */
    check(prefix: string): void {
      if (!FREEZE_PREFIX.test(prefix)) {
        throw ShieldErrors.SHIELD_FREEZE_INVALID(
          `"${prefix.slice(0, 80)}" is not an API path prefix such as /v1/orders.`,
        );
      }
      const protectedPrefix = NEVER_FROZEN.find((kept) => kept.startsWith(prefix) || prefix.startsWith(kept));
      if (protectedPrefix) {
        throw ShieldErrors.SHIELD_FREEZE_INVALID(
          `${protectedPrefix} stays open so the freeze can be lifted; choose a narrower prefix.`,
        );
      }
    },

    /** Freezes a prefix (or changes its mode); answers the freeze. */
    async freeze(prefix: string, mode: FreezeMode, reason: string, actorId: string): Promise<Freeze> {
      this.check(prefix);
      const freeze: Freeze = { prefix, mode, reason, frozenBy: actorId, frozenAt: deps.clock.now() };
      await db
        .insertInto('shieldRouteFreezes')
        .values(freeze)
        .onConflict((c) =>
          c.column('prefix').doUpdateSet({ mode, reason, frozenBy: actorId, frozenAt: freeze.frozenAt }),
        )
        .execute();
      await load();
      return freeze;
    },

    /** Lifts a freeze; false when there was none. */
    async lift(prefix: string): Promise<boolean> {
      const result = await db
        .deleteFrom('shieldRouteFreezes')
        .where('prefix', '=', prefix)
        .executeTakeFirst();
      await load();
      return result.numDeletedRows > 0n;
    },
  };
}

export type Freezes = ReturnType<typeof createFreezes>;
