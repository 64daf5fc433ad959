import net from 'node:net';
import type { Clock } from '../../../platform/clock.ts';
import type { AnyDb } from '../../../platform/db/index.ts';
import type { EventBus } from '../../../platform/events.ts';
import { addressKey, networkKey } from '../rate-limits/client-keys.ts';
import { ShieldErrors } from '../shield.errors.ts';
import type { ChallengeDb } from './challenges.tables.ts';

/** A marked source, as the security console and the CLI show it. */
export interface Suspect {
  readonly source: string;
  readonly reason: string;
  readonly markedAt: Date;
  readonly until: Date;
}

/**
 * Sources that detection (or an operator) marked as automated: until the mark lapses, the credential
 * routes answer them only with a solved challenge. Marks live in the database, so every node sees them.
 */
export interface Suspects {
  /** Marks an address or a /24 (IPv4) or /64 (IPv6) network for `seconds`; a longer earlier mark stays. */
  mark(source: string, reason: string, seconds: number): Promise<Suspect>;
  clear(source: string): Promise<boolean>;
  /** Whether the client address, or its network, is marked now. */
  isSuspect(ip: string): Promise<boolean>;
  list(): Promise<Suspect[]>;
}

const MAX_MARK_SECONDS = 7 * 24 * 3600;

export function createSuspects(deps: { db: AnyDb; clock: Clock; events: EventBus }): Suspects {
  const { clock } = deps;
  const db = deps.db as unknown as ChallengeDb;
  return {
    async mark(source, reason, seconds) {
      const key = sourceKey(source);
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_MARK_SECONDS) {
        throw ShieldErrors.SHIELD_SUSPECT_INVALID(`A mark lasts 1 to ${MAX_MARK_SECONDS} seconds.`);
      }
      const now = clock.now();
      const until = new Date(now.getTime() + seconds * 1000);
      const row = await db
        .insertInto('shieldSuspects')
        .values({ source: key, reason, markedAt: now, until })
        .onConflict((c) =>
          c.column('source').doUpdateSet((eb) => ({
            reason: eb.ref('excluded.reason'),
            markedAt: eb.ref('excluded.markedAt'),
            until: eb.fn('greatest', [eb.ref('shieldSuspects.until'), eb.ref('excluded.until')]),
          })),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      // Events carry networks, never a whole address (they reach logs and other nodes).
      deps.events.emit('shield.suspect_marked', {
        network: key.includes('/') ? key : networkKey(key),
        scope: key.includes('/') ? 'network' : 'address',
        reason,
        until: row.until.toISOString(),
      });
      return row;
    },
    async clear(source) {
      const result = await db.deleteFrom('shieldSuspects').where('source', '=', sourceKey(source)).execute();
      return result.some((r) => Number(r.numDeletedRows) > 0);
    },
    async isSuspect(ip) {
      const found = await db
        .selectFrom('shieldSuspects')
        .select('source')
        .where('source', 'in', [addressKey(ip), networkKey(ip)])
        .where('until', '>', clock.now())
        .executeTakeFirst();
      return found !== undefined;
    },
    list() {
      return db
        .selectFrom('shieldSuspects')
        .selectAll()
        .where('until', '>', clock.now())
        .orderBy('markedAt', 'desc')
        .limit(500)
        .execute();
    },
  };
}

/**
 * One spelling per source, the same the rate limits use: an address as `addressKey` writes it, a
 * network only as the /24 or /64 its addresses fall in (a mark on another prefix would never match).
 */
export function sourceKey(source: string): string {
  const [address = '', prefix, ...rest] = source.trim().split('/');
  if (rest.length > 0 || !net.isIP(address)) {
    throw ShieldErrors.SHIELD_SUSPECT_INVALID('Give an IP address, or a /24 (IPv4) or /64 (IPv6) network.');
  }
  if (prefix === undefined) return addressKey(address);
  const key = networkKey(address);
  if (`${addressKey(address)}/${prefix}` !== key) {
    throw ShieldErrors.SHIELD_SUSPECT_INVALID(
      `Networks are marked as /24 (IPv4) or /64 (IPv6) with the host bits zero: ${key}, not ${source.trim()}.`,
    );
  }
  return key;
}
