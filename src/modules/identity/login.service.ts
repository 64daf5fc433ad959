import type { Config } from '../../config/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import { withTransaction } from '../../platform/db/index.ts';
import type { EventBus } from '../../platform/events.ts';
import type { UserId } from '../../platform/ids.ts';
import { networkOf } from '../../platform/network.ts';
import type { Accounts } from './accounts.service.ts';
import { describeDevice } from './device.ts';
import { IdentityErrors } from './identity.errors.ts';
import type { UserRow } from './identity.tables.ts';
import type { LoginHistory, LoginMethod } from './login-history.ts';
import type { Messenger } from './messenger.ts';
import type { OneTimeTokens } from './one-time-tokens.ts';
import type { SecondFactors } from './second-factors.ts';
import type { ApiTokens, ClientInfo, Sessions, WebSession } from './sessions.service.ts';
import { THROTTLE_POLICIES, type Throttle, type ThrottleKey } from './throttle.ts';

export type LoginMode = 'token' | 'web';
export type LoginResult =
  | { readonly mode: 'token'; readonly tokens: ApiTokens }
  | { readonly mode: 'web'; readonly session: WebSession };

/** Where an address is, roughly (a country), for login history and alerts; null when unknown. */
export type Locate = (ip: string) => { country: string; label: string } | null;

export interface LoginDeps {
  readonly db: AnyDb;
  readonly clock: Clock;
  readonly config: Config;
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  readonly throttle: Throttle;
  readonly factors: SecondFactors;
  readonly tokens: OneTimeTokens;
  readonly history: LoginHistory;
  readonly messenger: Messenger;
  readonly locate: Locate;
  readonly events?: EventBus | undefined;
}

const MFA_TICKET_SECONDS = 5 * 60;
const NOT_ME_SECONDS = 7 * 24 * 3600;

/**
 * The whole login: throttles, the password (one Argon2id verification whether or not the account exists),
 * the second factor, the session, the login history and the new-device alert.
 */
export function createLogin(deps: LoginDeps) {
  const accountKey = (email: string): ThrottleKey => ({
    key: `login:account:${deps.accounts.emailIndex(email)}`,
    policy: THROTTLE_POLICIES.loginAccount,
  });
  const networkKey = (ip: string): ThrottleKey => ({
    key: `login:network:${networkOf(ip)}`,
    policy: THROTTLE_POLICIES.loginNetwork,
  });
  const factorKey = (userId: UserId): ThrottleKey => ({
    key: `factor:${userId}`,
    policy: THROTTLE_POLICIES.secondFactor,
  });
  const attempt = (
    userId: UserId,
    client: ClientInfo,
    method: LoginMethod,
    outcome: 'wrong_password' | 'wrong_code' | 'mfa_required' | 'reset_required',
  ) =>
    deps.history.record({
      userId,
      ip: client.ip,
      userAgent: client.userAgent,
      method,
      outcome,
      country: deps.locate(client.ip)?.country ?? null,
    });

  /** Opens the session, records the login, and warns the owner when the device is new to the account. */
  async function finish(
    user: Pick<UserRow, 'id' | 'kind'>,
    client: ClientInfo,
    mode: LoginMode,
    method: LoginMethod,
    methods: string,
    enrolmentOnly = false,
  ): Promise<LoginResult> {
    const userId = user.id as UserId;
    const place = deps.locate(client.ip);
    const deviceIndex = deps.history.deviceIndex(userId, client.userAgent);
    const familiar = await deps.history.record({
      userId,
      ip: client.ip,
      userAgent: client.userAgent,
      method,
      outcome: 'ok',
      country: place?.country ?? null,
    });
    const assurance = { methods, enrolmentOnly, deviceIndex, country: place?.country ?? null };
    const result: LoginResult =
      mode === 'token'
        ? { mode, tokens: await deps.sessions.issueApiTokens(userId, client, assurance) }
        : { mode, session: await deps.sessions.createWebSession(userId, client, assurance) };
    // After the session exists, so a containment that answers this login reaches the session too.
    deps.events?.emit('identity.login_succeeded', {
      userId,
      staff: user.kind === 'staff',
      network: networkOf(client.ip),
      newDevice: familiar.anyBefore && !familiar.deviceBefore,
      newNetwork: familiar.anyBefore && !familiar.networkBefore,
    });
    if (familiar.anyBefore && !familiar.deviceBefore)
      await alertNewDevice(userId, client, place?.label ?? null);
    return result;
  }

  async function alertNewDevice(userId: UserId, client: ClientInfo, place: string | null): Promise<void> {
    await withTransaction(deps.db, async (trx) => {
      const notMe = await deps.tokens.issue(trx, userId, 'not_me', NOT_ME_SECONDS);
      await deps.messenger.send(
        trx,
        { userId },
        {
          template: 'login_alert',
          device: describeDevice(client.userAgent).label,
          place,
          at: deps.clock.now(),
          notMeToken: notMe.token,
        },
      );
    });
  }

  /** A TOTP or recovery code for the account, throttled per account; throws when wrong. */
  async function checkCode(
    userId: UserId,
    code: string,
    client: ClientInfo,
  ): Promise<'totp' | 'recovery_code'> {
    const counted = await deps.throttle.check([factorKey(userId)]);
    const used = await deps.factors.verify(userId, code);
    if (!used) {
      await deps.throttle.fail([factorKey(userId)]);
      await attempt(userId, client, 'totp', 'wrong_code');
      throw IdentityErrors.IDENTITY_INVALID_MFA_CODE('The code is wrong, expired or already used.', {
        errors: [
          { field: 'body.code', message: 'is not a current authenticator code or an unused recovery code' },
        ],
      });
    }
    if (counted.size > 0) await deps.throttle.clear([factorKey(userId)]);
    return used;
  }

  return {
    checkCode,

    async withPassword(
      client: ClientInfo,
      credentials: { email: string; password: string; mfaCode?: string | undefined },
      mode: LoginMode,
    ): Promise<LoginResult> {
      const keys = [accountKey(credentials.email), networkKey(client.ip)];
      const counted = await deps.throttle.check(keys);
      const { user, ok, factors } = await deps.accounts.verifyCredentials(
        credentials.email,
        credentials.password,
      );
      if (!ok || !user) {
        await deps.throttle.fail(keys);
        // The same event for an unknown address as for a wrong password: its listeners run later.
        deps.events?.emit('identity.login_failed', {
          network: networkOf(client.ip),
          account: deps.accounts.emailIndex(credentials.email),
          userId: user ? user.id : null,
        });
        // Recorded after the answer (a later turn of the event loop, where the embedded database also
        // runs): two encryptions and an insert would make a wrong password measurably slower than an
        // unknown address, which has nothing to record. A lost row is the lesser harm.
        if (user) {
          const known = user.id as UserId;
          setImmediate(() => void attempt(known, client, 'password', 'wrong_password').catch(() => {}));
        }
        throw IdentityErrors.IDENTITY_INVALID_CREDENTIALS('The e-mail or password is wrong.');
      }
      const userId = user.id as UserId;
      // A right password forgives the account's count (not the network's: one success among many failures).
      if (counted.has(accountKey(credentials.email).key))
        await deps.throttle.clear([accountKey(credentials.email)]);
      if (user.mustResetPassword) {
        await attempt(userId, client, 'password', 'reset_required');
        throw IdentityErrors.IDENTITY_PASSWORD_RESET_REQUIRED(
          'This account must set a new password before logging in: follow the link we sent, or ask for a new one.',
        );
      }
      await deps.accounts.upgradePasswordHash(userId, credentials.password, user.passwordHash);
      const status = factors;
      if (!status.totp && status.passkeys === 0) {
        // A staff member with no second factor yet gets a session that can do one thing: enrol one.
        return finish(user, client, mode, 'password', 'pwd', user.kind === 'staff');
      }
      if (credentials.mfaCode) {
        const used = await checkCode(userId, credentials.mfaCode, client);
        return finish(user, client, mode, used, `pwd+${used === 'totp' ? 'totp' : 'recovery'}`);
      }
      const ticket = await deps.tokens.issue(deps.db, userId, 'mfa_login', MFA_TICKET_SECONDS, {
        detail: mode,
      });
      await attempt(userId, client, 'password', 'mfa_required');
      const methods = [
        ...(status.totp ? ['totp'] : []),
        ...(status.passkeys > 0 ? ['passkey'] : []),
        'recovery_code',
      ];
      throw IdentityErrors.IDENTITY_MFA_REQUIRED(
        'The password is right; now give a code from your authenticator app, a recovery code, or use a passkey.',
        { extensions: { mfaTicket: ticket.token, methods, expiresAt: ticket.expiresAt.toISOString() } },
      );
    },

    /**
     * The second step of a login: the ticket from the first, and a proof checked by `prove` (a code, or a
     * passkey assertion). A wrong proof counts against the ticket; five and it is burned.
     */
    async withTicket(
      client: ClientInfo,
      ticket: string,
      mode: LoginMode,
      prove: (userId: UserId) => Promise<{ method: LoginMethod; methods: string }>,
    ): Promise<LoginResult> {
      const invalid = () =>
        IdentityErrors.IDENTITY_INVALID_MFA_TICKET(
          'The login ticket is wrong or expired: log in with your password again.',
        );
      const row = await deps.tokens.peek(deps.db, ticket, 'mfa_login');
      if (!row || row.detail !== mode) throw invalid();
      const userId = row.userId as UserId;
      let proof: { method: LoginMethod; methods: string };
      try {
        proof = await prove(userId);
      } catch (error) {
        await deps.tokens.countAttempt(deps.db, ticket);
        throw error;
      }
      if (!(await deps.tokens.consume(deps.db, ticket, 'mfa_login'))) throw invalid();
      const user = await deps.accounts.activeUser(userId);
      if (!user) throw invalid();
      return finish(user, client, mode, proof.method, proof.methods);
    },

    /** Passwordless: a verified passkey assertion (with user verification) names the user. */
    async withPasskey(client: ClientInfo, userId: UserId, mode: LoginMode): Promise<LoginResult> {
      const user = await deps.accounts.activeUser(userId);
      if (!user || user.mustResetPassword) {
        throw IdentityErrors.IDENTITY_INVALID_CREDENTIALS('This passkey cannot log in to an account now.');
      }
      return finish(user, client, mode, 'passkey', 'passkey');
    },
  };
}

export type Login = ReturnType<typeof createLogin>;
