/**
 * Identity: accounts and profiles, passwords, sessions and tokens, staff roles and permissions, and the
 * authentication hook that enforces every route's declared access.
 */
import type { Config } from '../../config/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import type { App } from '../../platform/http/app-types.ts';
import type { PasswordHasher, Vault } from '../vault/index.ts';
import { type Accounts, createAccounts } from './accounts.service.ts';
import { registerAuthRoutes } from './auth.routes.ts';
import { installAuthentication } from './authentication.hook.ts';
import { registerMeRoutes } from './me.routes.ts';
import { createSessions, type Sessions } from './sessions.service.ts';

export type { Accounts, NewAccount, Profile } from './accounts.service.ts';
export { principalOf, SESSION_COOKIE, shopperOf, staffOf } from './authentication.hook.ts';
export { IdentityErrors } from './identity.errors.ts';
export {
  type ActingPrincipal,
  actorFor,
  actorOf,
  can,
  type Permission,
  type Principal,
  ROLE_PERMISSIONS,
  type ShopperPrincipal,
  STAFF_ROLES,
  type StaffPrincipal,
  type StaffRole,
  type SystemPrincipal,
} from './principal.ts';
export type { Sessions } from './sessions.service.ts';
export { countUsers } from './users.repository.ts';

export interface IdentityDeps {
  readonly db: AnyDb;
  readonly vault: Vault;
  readonly hasher: PasswordHasher;
  readonly clock: Clock;
  readonly config: Config;
}

export interface Identity {
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  /** Installs authentication for every route; call before any module registers routes. */
  installAuthentication(app: App): void;
  registerRoutes(app: App): void;
}

export function createIdentity(deps: IdentityDeps): Identity {
  const accounts = createAccounts(deps);
  const sessions = createSessions(deps);
  return {
    accounts,
    sessions,
    installAuthentication: (app) => installAuthentication(app, sessions),
    registerRoutes(app) {
      registerAuthRoutes(app, { accounts, sessions, config: deps.config });
      registerMeRoutes(app, { accounts, sessions });
    },
  };
}
