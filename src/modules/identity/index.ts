/**
 * Identity: accounts and profiles, passwords, second factors, sessions and tokens, recovery, step-up,
 * service API keys, staff roles and permissions, and the authentication hook that enforces every route's
 * declared access.
 */
import type { Config } from '../../config/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import type { EventBus } from '../../platform/events.ts';
import type { App } from '../../platform/http/app-types.ts';
import type { UserId } from '../../platform/ids.ts';
import type { FetcherFactory } from '../../platform/outbound/index.ts';
import type { PasswordHasher, Vault } from '../vault/index.ts';
import { type Accounts, createAccounts, type NewAccount } from './accounts.service.ts';
import { registerAntiPhishingRoutes } from './anti-phishing.routes.ts';
import { registerApiKeyRoutes } from './api-keys.routes.ts';
import { type ApiKeys, createApiKeys } from './api-keys.service.ts';
import { registerAuthRoutes } from './auth.routes.ts';
import { installAuthentication } from './authentication.hook.ts';
import { createEmailChange } from './email-change.service.ts';
import { createLogin, type Locate, type Login } from './login.service.ts';
import { createLoginHistory, type LoginHistory } from './login-history.ts';
import { registerMeRoutes } from './me.routes.ts';
import type { Messenger } from './messenger.ts';
import { registerMfaRoutes } from './mfa.routes.ts';
import { createOneTimeTokens } from './one-time-tokens.ts';
import { createPasskeys, registerPasskeyRoutes } from './passkeys/index.ts';
import type { StaffRole } from './principal.ts';
import { registerRecoveryRoutes } from './recovery.routes.ts';
import { createRecovery } from './recovery.service.ts';
import { createSecondFactors, type SecondFactors } from './second-factors.ts';
import { type AccessTokenSigner, createSessions, type Sessions } from './sessions.service.ts';
import { registerStaffRoleRoutes } from './staff-roles.routes.ts';
import { createStepUp } from './step-up.service.ts';
import { createThrottle } from './throttle.ts';

export type { Accounts, NewAccount, Profile } from './accounts.service.ts';
export {
  personOf,
  principalOf,
  requireRecentAuthentication,
  SESSION_COOKIE,
  shopperOf,
  staffOf,
} from './authentication.hook.ts';
export { IdentityErrors } from './identity.errors.ts';
export type { Locate } from './login.service.ts';
export type { LoginHistory } from './login-history.ts';
export type { IdentityMessage, Messenger, Recipient, SecurityChange } from './messenger.ts';
export {
  type ActingPrincipal,
  actorFor,
  actorOf,
  type CallerPrincipal,
  can,
  type Permission,
  type PersonPrincipal,
  type Principal,
  ROLE_PERMISSIONS,
  SERVICE_SCOPES,
  type ServicePrincipal,
  type ShopperPrincipal,
  STAFF_ROLES,
  type StaffPrincipal,
  type StaffRole,
  type SystemPrincipal,
} from './principal.ts';
export type { AccessTokenSigner, Sessions } from './sessions.service.ts';
export { countUsers } from './users.repository.ts';

export interface IdentityDeps {
  readonly db: AnyDb;
  readonly vault: Vault;
  readonly hasher: PasswordHasher;
  readonly clock: Clock;
  readonly config: Config;
  readonly messenger: Messenger;
  readonly signer: AccessTokenSigner;
  readonly locate: Locate;
  /** Where login outcomes, refresh-token reuse and security changes are announced (for detection). */
  readonly events?: EventBus;
  /** Makes outbound fetchers (the password policy's breach check); the production one by default. */
  readonly outbound?: FetcherFactory;
}

export interface Identity {
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  readonly factors: SecondFactors;
  readonly logins: LoginHistory;
  readonly login: Login;
  readonly apiKeys: ApiKeys;
  /**
   * A staff account as an operator creates it (`bulwark staff create`): with an authenticator secret
   * enrolled, shown once to the operator, unless `withTotp` is false (the member then enrols on first login).
   */
  createStaff(
    input: NewAccount & { role: StaffRole },
    withTotp?: boolean,
  ): Promise<{ id: UserId; totpSecret: string | null; recoveryCodes: string[] }>;
  /** Installs authentication for every route; call before any module registers routes. */
  installAuthentication(app: App): void;
  registerRoutes(app: App): void;
}

export function createIdentity(given: IdentityDeps): Identity {
  const deps = { ...given, messenger: announcing(given.messenger, given.events) };
  const accounts = createAccounts(deps);
  const sessions = createSessions(deps);
  const throttle = createThrottle(deps);
  const tokens = createOneTimeTokens(deps);
  const history = createLoginHistory(deps);
  const apiKeys = createApiKeys(deps);
  const factors = createSecondFactors(deps);
  const services = { ...deps, accounts, sessions, throttle, tokens, history, factors };
  const login = createLogin(services);
  const stepUp = createStepUp({ ...services, login });
  const passkeys = createPasskeys(services);
  const recovery = createRecovery(services);
  const emailChange = createEmailChange(services);
  return {
    accounts,
    sessions,
    factors,
    logins: history,
    login,
    apiKeys,
    async createStaff(input, withTotp = true) {
      let enrolled: { secret: string; recoveryCodes: string[] } | null = null;
      const id = await accounts.createStaff(input, async (trx, userId) => {
        if (withTotp) enrolled = await factors.enrolConfirmedTotp(trx, userId);
      });
      const done = enrolled as { secret: string; recoveryCodes: string[] } | null;
      return { id, totpSecret: done?.secret ?? null, recoveryCodes: done?.recoveryCodes ?? [] };
    },
    installAuthentication: (app) =>
      installAuthentication(app, { sessions, apiKeys, config: deps.config, clock: deps.clock }),
    registerRoutes(app) {
      registerAuthRoutes(app, { ...services, login, stepUp });
      registerRecoveryRoutes(app, { recovery, emailChange });
      registerMeRoutes(app, { ...services, recovery, emailChange });
      registerMfaRoutes(app, services);
      registerApiKeyRoutes(app, { apiKeys });
      registerStaffRoleRoutes(app, services);
      registerAntiPhishingRoutes(app, services);
      registerPasskeyRoutes(app, { config: deps.config, passkeys, login, stepUp });
    },
  };
}

/**
 * Every change the owner is warned about is announced too, for detection (a new device followed by a
 * password or e-mail change is an account-takeover signal). Announced when recorded: a change whose
 * transaction then fails still counts, the safe side for detection.
 */
function announcing(messenger: Messenger, events: EventBus | undefined): Messenger {
  if (!events) return messenger;
  return {
    async send(db, to, message) {
      await messenger.send(db, to, message);
      if (message.template === 'security_change' && to.userId)
        events.emit('identity.security_changed', { userId: to.userId, change: message.change });
    },
  };
}
