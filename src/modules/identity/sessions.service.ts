import type { Config } from '../../config/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import type { EventBus } from '../../platform/events.ts';
import { newId, type SessionId, type UserId } from '../../platform/ids.ts';
import { networkOf } from '../../platform/network.ts';
import { constantTimeEqual, digestToken, randomToken, type Vault } from '../vault/index.ts';
import { describeDevice } from './device.ts';
import { IdentityErrors } from './identity.errors.ts';
import type { IdentityDb, SessionRow } from './identity.tables.ts';
import type { PersonPrincipal } from './principal.ts';
import {
  findLiveSession,
  findRefreshToken,
  insertRefreshToken,
  insertSession,
  type LiveSession,
  listLiveSessions,
  revokeSessionById,
  revokeSessions,
  updateSession,
  useRefreshToken,
} from './sessions.repository.ts';

/** Signs and checks API access tokens. Implemented by the vault's token signer; identity holds no keys. */
export interface AccessTokenSigner {
  sign(claims: { sub: string; sid: string; kind: string; gen: string }, ttlSeconds: number): Promise<string>;
  verify(token: string): Promise<{ sub: string; sid: string; readonly [claim: string]: unknown } | null>;
}

export interface SessionsDeps {
  readonly db: AnyDb;
  readonly clock: Clock;
  readonly config: Config;
  readonly vault: Vault;
  readonly signer: AccessTokenSigner;
}

/** Where a login comes from: stored encrypted (full address, user agent) plus the coarse network. */
export interface ClientInfo {
  readonly ip: string;
  readonly userAgent?: string | undefined;
}

/** How the session's holder proved who they are. */
export interface Assurance {
  readonly methods: string;
  readonly enrolmentOnly: boolean;
  readonly deviceIndex: string;
  readonly country: string | null;
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

export function createSessions(deps: SessionsDeps & { readonly events?: EventBus | undefined }) {
  const db = deps.db as IdentityDb;
  const later = (seconds: number) => new Date(deps.clock.now().getTime() + seconds * 1000);

  async function newSessionRow(userId: UserId, client: ClientInfo, assurance: Assurance) {
    const id = newId('session');
    const field = (column: string) => ({ ownerId: userId, table: 'sessions', column, rowId: id });
    return {
      id,
      userId,
      userAgentEnc: await deps.vault.sealOptional(
        deps.db,
        field('user_agent'),
        client.userAgent?.slice(0, 300),
      ),
      ipEnc: await deps.vault.seal(deps.db, field('ip'), client.ip),
      network: networkOf(client.ip),
      methods: assurance.methods,
      enrolmentOnly: assurance.enrolmentOnly,
      deviceIndex: assurance.deviceIndex,
      country: assurance.country,
      authenticatedAt: deps.clock.now(),
    };
  }

  function toPrincipal(live: LiveSession, via: 'bearer' | 'cookie'): PersonPrincipal {
    const base = {
      userId: live.user.id as UserId,
      sessionId: live.session.id as SessionId,
      via,
      authenticatedAt: live.session.authenticatedAt,
      enrolmentOnly: live.session.enrolmentOnly,
    };
    if (live.user.kind === 'staff' && live.user.role) return { kind: 'staff', role: live.user.role, ...base };
    return { kind: 'shopper', ...base };
  }

  async function touch(session: SessionRow): Promise<void> {
    const now = deps.clock.now();
    if (now.getTime() - session.lastSeenAt.getTime() > LAST_SEEN_RESOLUTION_MS) {
      await updateSession(db, session.id, { lastSeenAt: now });
    }
  }

  /**
   * A new access token for the session. Its `gen` claim is remembered (as a digest) by the session, so the
   * token it replaces stops working at once instead of living out its fifteen minutes.
   */
  async function accessTokenFor(userId: string, sessionId: string) {
    const ttl = deps.config.accessTokenTtlSeconds;
    const gen = randomToken('gen');
    const accessToken = await deps.signer.sign({ sub: userId, sid: sessionId, kind: 'access', gen }, ttl);
    return { accessToken, tokenHash: digestToken(gen), expiresAt: later(ttl) };
  }

  const bearer = (accessToken: string, refreshToken: string): ApiTokens => ({
    accessToken,
    refreshToken,
    expiresIn: deps.config.accessTokenTtlSeconds,
    tokenType: 'Bearer',
  });

  return {
    async issueApiTokens(userId: UserId, client: ClientInfo, assurance: Assurance): Promise<ApiTokens> {
      const refreshToken = randomToken('bw_rt');
      const row = await newSessionRow(userId, client, assurance);
      const access = await accessTokenFor(userId, row.id);
      // The session and the first token of its family in one statement: login runs this every time.
      await db
        .with('session', (trx) =>
          trx.insertInto('sessions').values({
            ...row,
            kind: 'api',
            tokenHash: access.tokenHash,
            refreshHash: digestToken(refreshToken),
            expiresAt: access.expiresAt,
            refreshExpiresAt: later(deps.config.refreshTokenTtlSeconds),
          }),
        )
        .insertInto('refreshTokens')
        .values({ sessionId: row.id, tokenHash: digestToken(refreshToken) })
        .execute();
      return bearer(access.accessToken, refreshToken);
    },

    /**
     * Rotates the refresh token: each works once. Presenting one that was already used means two parties
     * hold copies, so the whole family (the session and every token it issued) is revoked.
     */
    async refresh(refreshToken: string): Promise<ApiTokens> {
      const digest = digestToken(refreshToken);
      const invalid = () => IdentityErrors.IDENTITY_INVALID_REFRESH_TOKEN('The refresh token is not valid.');
      const now = deps.clock.now();
      const known = await findRefreshToken(db, digest);
      if (!known) throw invalid();
      if (known.usedAt !== null || !(await useRefreshToken(db, digest, now))) {
        await revokeSessionById(db, known.sessionId, now);
        const owner = await db
          .selectFrom('sessions')
          .select('userId')
          .where('id', '=', known.sessionId)
          .executeTakeFirst();
        if (owner)
          deps.events?.emit('identity.refresh_reused', { sessionId: known.sessionId, userId: owner.userId });
        throw IdentityErrors.IDENTITY_REFRESH_TOKEN_REUSED(
          'This refresh token was already used, so a copy may be in someone else’s hands: the session is ended. Log in again.',
        );
      }
      const live = await findLiveSession(db, 'id', known.sessionId, now, 'refresh');
      if (live?.session.kind !== 'api') throw invalid();
      const next = randomToken('bw_rt');
      const access = await accessTokenFor(live.user.id, live.session.id);
      await insertRefreshToken(db, live.session.id, digestToken(next));
      await updateSession(db, live.session.id, {
        refreshHash: digestToken(next),
        tokenHash: access.tokenHash,
        expiresAt: access.expiresAt,
        lastSeenAt: now,
      });
      return bearer(access.accessToken, next);
    },

    async createWebSession(userId: UserId, client: ClientInfo, assurance: Assurance): Promise<WebSession> {
      const sessionToken = randomToken('bw_ws');
      const csrfToken = randomToken('bw_csrf');
      const expiresAt = later(deps.config.sessionTtlSeconds);
      await insertSession(db, {
        ...(await newSessionRow(userId, client, assurance)),
        kind: 'web',
        tokenHash: digestToken(sessionToken),
        csrfHash: digestToken(csrfToken),
        expiresAt,
      });
      return { sessionToken, csrfToken, expiresAt };
    },

    /** A signed access token whose session is still live: revocation takes effect on the next request. */
    async authenticateBearer(token: string): Promise<PersonPrincipal | null> {
      const claims = await deps.signer.verify(token);
      if (!claims || typeof claims.gen !== 'string') return null;
      const live = await findLiveSession(db, 'tokenHash', digestToken(claims.gen), deps.clock.now());
      if (live?.session.kind !== 'api' || live.session.id !== claims.sid || live.user.id !== claims.sub)
        return null;
      await touch(live.session);
      return toPrincipal(live, 'bearer');
    },

    async authenticateCookie(
      token: string,
    ): Promise<{ principal: PersonPrincipal; csrfHash: string | null } | null> {
      const live = await findLiveSession(db, 'tokenHash', digestToken(token), deps.clock.now());
      if (live?.session.kind !== 'web') return null;
      await touch(live.session);
      return { principal: toPrincipal(live, 'cookie'), csrfHash: live.session.csrfHash };
    },

    csrfMatches(expectedHash: string | null, presented: string | undefined): boolean {
      if (!expectedHash || !presented) return false;
      return constantTimeEqual(expectedHash, digestToken(presented));
    },

    /** The holder proved again who they are (step-up); with `methods`, enrolled the factor they lacked. */
    async reauthenticated(sessionId: SessionId, methods?: string): Promise<Date> {
      const now = deps.clock.now();
      // A password step-up proves the password again, not a second factor: enrolment-only stays so.
      await updateSession(db, sessionId, {
        authenticatedAt: now,
        ...(methods ? { methods, enrolmentOnly: false } : {}),
      });
      return now;
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
          const userAgent = await deps.vault.openOwnOptional(
            deps.db,
            userId,
            field('user_agent'),
            row.userAgentEnc,
          );
          return {
            id: row.id,
            kind: row.kind,
            network: row.network,
            country: row.country,
            device: describeDevice(userAgent ?? undefined).label,
            createdAt: row.createdAt,
            lastSeenAt: row.lastSeenAt,
            authenticatedAt: row.authenticatedAt,
            expiresAt: row.expiresAt,
            refreshExpiresAt: row.refreshExpiresAt,
            userAgent,
            ip: await deps.vault.openOwnOptional(deps.db, userId, field('ip'), row.ipEnc),
          };
        }),
      );
    },

    async revoke(principal: PersonPrincipal, sessionId: string): Promise<void> {
      const revoked = await revokeSessions(db, principal.userId, deps.clock.now(), { only: sessionId });
      if (revoked === 0) throw IdentityErrors.IDENTITY_SESSION_NOT_FOUND('No such session.');
    },

    revokeOthers: (principal: PersonPrincipal) =>
      revokeSessions(db, principal.userId, deps.clock.now(), { except: principal.sessionId }),

    /** Ends one session (and so its token family) whoever holds it: detection's containment. */
    async revokeById(sessionId: string): Promise<boolean> {
      const before = await db
        .selectFrom('sessions')
        .select('id')
        .where('id', '=', sessionId)
        .where('revokedAt', 'is', null)
        .executeTakeFirst();
      await revokeSessionById(db, sessionId, deps.clock.now());
      return before !== undefined;
    },

    /**
     * Makes every live session of the user prove itself again before any step-up route (detection's
     * containment for a suspicious staff login): the last authentication is moved to the distant past.
     */
    async demandStepUp(userId: string): Promise<number> {
      const result = await db
        .updateTable('sessions')
        .set({ authenticatedAt: new Date(0) })
        .where('userId', '=', userId)
        .where('revokedAt', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    /** Ends every session of the user, inside the caller's transaction when one is given. */
    revokeAll: (userId: UserId, trx: AnyDb = deps.db) =>
      revokeSessions(trx as IdentityDb, userId, deps.clock.now()),

    /** The kill switch: every live session but the one acting ends now; answers how many. */
    async revokeEveryone(exceptSessionId: SessionId): Promise<number> {
      const result = await (deps.db as IdentityDb)
        .updateTable('sessions')
        .set({ revokedAt: deps.clock.now() })
        .where('revokedAt', 'is', null)
        .where('id', '!=', exceptSessionId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
