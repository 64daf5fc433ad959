import type { Config } from '../../config/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import { newId, type SessionId, type UserId } from '../../platform/ids.ts';
import { networkOf } from '../../platform/network.ts';
import { constantTimeEqual, digestToken, randomToken, type Vault } from '../vault/index.ts';
import { IdentityErrors } from './identity.errors.ts';
import type { IdentityDb, SessionRow } from './identity.tables.ts';
import type { Principal, ShopperPrincipal, StaffPrincipal } from './principal.ts';
import {
  findLiveSession,
  insertSession,
  type LiveSession,
  listLiveSessions,
  revokeByPreviousRefresh,
  revokeOwnSession,
  updateSession,
} from './sessions.repository.ts';

export interface SessionsDeps {
  readonly db: AnyDb;
  readonly clock: Clock;
  readonly config: Config;
  readonly vault: Vault;
}

/** Where a login comes from: stored encrypted (full address, user agent) plus the coarse network. */
export interface ClientInfo {
  readonly ip: string;
  readonly userAgent?: string | undefined;
}

export interface ApiTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresIn: number;
  readonly tokenType: 'Bearer';
}

export interface WebSession {
  readonly sessionToken: string;
  readonly csrfToken: string;
  readonly expiresAt: Date;
}

// Recording every request would turn reads into writes; a minute's resolution is enough for "last seen".
const LAST_SEEN_RESOLUTION_MS = 60_000;

export function createSessions(deps: SessionsDeps) {
  const db = deps.db as IdentityDb;
  const later = (seconds: number) => new Date(deps.clock.now().getTime() + seconds * 1000);
  async function clientColumns(userId: UserId, sessionId: string, client: ClientInfo) {
    const field = (column: string) => ({ ownerId: userId, table: 'sessions', column, rowId: sessionId });
    return {
      userAgentEnc: await deps.vault.sealOptional(
        deps.db,
        field('user_agent'),
        client.userAgent?.slice(0, 300),
      ),
      ipEnc: await deps.vault.seal(deps.db, field('ip'), client.ip),
      network: networkOf(client.ip),
    };
  }

  function toPrincipal(live: LiveSession, via: 'bearer' | 'cookie'): ShopperPrincipal | StaffPrincipal {
    const base = { userId: live.user.id as UserId, sessionId: live.session.id as SessionId, via };
    if (live.user.kind === 'staff' && live.user.role) return { kind: 'staff', role: live.user.role, ...base };
    return { kind: 'shopper', ...base };
  }

  async function touch(session: SessionRow): Promise<void> {
    const now = deps.clock.now();
    if (now.getTime() - session.lastSeenAt.getTime() > LAST_SEEN_RESOLUTION_MS) {
      await updateSession(db, session.id, { lastSeenAt: now });
    }
  }

  return {
    async issueApiTokens(userId: UserId, client: ClientInfo): Promise<ApiTokens> {
      const accessToken = randomToken('bw_at');
      const refreshToken = randomToken('bw_rt');
      const id = newId('session');
      await insertSession(db, {
        id,
        userId,
        kind: 'api',
        tokenHash: digestToken(accessToken),
        refreshHash: digestToken(refreshToken),
        ...(await clientColumns(userId, id, client)),
        expiresAt: later(deps.config.accessTokenTtlSeconds),
        refreshExpiresAt: later(deps.config.refreshTokenTtlSeconds),
      });
      return { accessToken, refreshToken, expiresIn: deps.config.accessTokenTtlSeconds, tokenType: 'Bearer' };
    },

    /**
     * Rotates both tokens: a refresh token works once. Presenting an already-rotated one means two parties
     * hold copies, so the whole session is revoked and both must log in again.
     */
    async refresh(refreshToken: string): Promise<ApiTokens> {
      const digest = digestToken(refreshToken);
      const invalid = () => IdentityErrors.IDENTITY_INVALID_REFRESH_TOKEN('The refresh token is not valid.');
      const live = await findLiveSession(db, 'refreshHash', digest, deps.clock.now());
      if (live?.session.kind !== 'api') {
        await revokeByPreviousRefresh(db, digest, deps.clock.now());
        throw invalid();
      }
      const accessToken = randomToken('bw_at');
      const nextRefresh = randomToken('bw_rt');
      const result = await db
        .updateTable('sessions')
        .set({
          tokenHash: digestToken(accessToken),
          refreshHash: digestToken(nextRefresh),
          previousRefreshHash: digest,
          expiresAt: later(deps.config.accessTokenTtlSeconds),
          lastSeenAt: deps.clock.now(),
        })
        .where('id', '=', live.session.id)
        // Only the first of two concurrent refreshes with the same token wins.
        .where('refreshHash', '=', digest)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) throw invalid();
      return {
        accessToken,
        refreshToken: nextRefresh,
        expiresIn: deps.config.accessTokenTtlSeconds,
        tokenType: 'Bearer',
      };
    },

    async createWebSession(userId: UserId, client: ClientInfo): Promise<WebSession> {
      const sessionToken = randomToken('bw_ws');
      const csrfToken = randomToken('bw_csrf');
      const expiresAt = later(deps.config.sessionTtlSeconds);
      const id = newId('session');
      await insertSession(db, {
        id,
        userId,
        kind: 'web',
        tokenHash: digestToken(sessionToken),
        csrfHash: digestToken(csrfToken),
        ...(await clientColumns(userId, id, client)),
        expiresAt,
      });
      return { sessionToken, csrfToken, expiresAt };
    },

    async authenticateBearer(token: string): Promise<ShopperPrincipal | StaffPrincipal | null> {
      const live = await findLiveSession(db, 'tokenHash', digestToken(token), deps.clock.now());
      if (live?.session.kind !== 'api') return null;
      await touch(live.session);
      return toPrincipal(live, 'bearer');
    },

    async authenticateCookie(
      token: string,
    ): Promise<{ principal: ShopperPrincipal | StaffPrincipal; csrfHash: string | null } | null> {
      const live = await findLiveSession(db, 'tokenHash', digestToken(token), deps.clock.now());
      if (live?.session.kind !== 'web') return null;
      await touch(live.session);
      return { principal: toPrincipal(live, 'cookie'), csrfHash: live.session.csrfHash };
    },

    csrfMatches(expectedHash: string | null, presented: string | undefined): boolean {
      if (!expectedHash || !presented) return false;
      return constantTimeEqual(expectedHash, digestToken(presented));
    },

    /**
     * The user's live sessions, with the device and address each was opened from, for the user (and the
     * data export): decrypted, and without the token digests or ciphertexts of the row.
     */
    async list(userId: UserId) {
      const rows = await listLiveSessions(db, userId, deps.clock.now());
      return Promise.all(
        rows.map(async (row) => {
          const field = (column: string) => ({ table: 'sessions', column, rowId: row.id });
          return {
            id: row.id,
            kind: row.kind,
            network: row.network,
            createdAt: row.createdAt,
            lastSeenAt: row.lastSeenAt,
            expiresAt: row.expiresAt,
            refreshExpiresAt: row.refreshExpiresAt,
            userAgent: await deps.vault.openOwnOptional(
              deps.db,
              userId,
              field('user_agent'),
              row.userAgentEnc,
            ),
            ip: await deps.vault.openOwnOptional(deps.db, userId, field('ip'), row.ipEnc),
          };
        }),
      );
    },

    /** Every login attempt against a known account, success or not: the IP encrypted, the network kept. */
    async recordLogin(userId: UserId, success: boolean, ip: string): Promise<void> {
      const ipEnc = await deps.vault.seal(
        deps.db,
        { ownerId: userId, table: 'login_events', column: 'ip', rowId: userId },
        ip,
      );
      await db
        .insertInto('loginEvents')
        .values({ userId, success, ipEnc, network: networkOf(ip) })
        .execute();
    },

    async loginHistory(userId: UserId, limit = 50) {
      const rows = await db
        .selectFrom('loginEvents')
        .selectAll()
        .where('userId', '=', userId)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return Promise.all(
        rows.map(async (row) => ({
          success: row.success,
          at: row.at,
          network: row.network,
          ip: await deps.vault.openOwn(
            deps.db,
            userId,
            { table: 'login_events', column: 'ip', rowId: userId },
            row.ipEnc,
          ),
        })),
      );
    },

    async revoke(principal: Principal, sessionId: string): Promise<void> {
      if (principal.kind === 'system') throw IdentityErrors.IDENTITY_FORBIDDEN('Not for system principals.');
      const revoked = await revokeOwnSession(db, principal.userId, sessionId, deps.clock.now());
      if (!revoked) throw IdentityErrors.IDENTITY_SESSION_NOT_FOUND('No such session.');
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
