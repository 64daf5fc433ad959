import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../config/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Access } from '../../platform/http/access.ts';
import type { ApiKeys } from './api-keys.service.ts';
import { IdentityErrors } from './identity.errors.ts';
import {
  type CallerPrincipal,
  can,
  isPermission,
  type PersonPrincipal,
  type Principal,
  type ShopperPrincipal,
  type StaffPrincipal,
} from './principal.ts';
import type { Sessions } from './sessions.service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: CallerPrincipal | null;
  }
}

export const SESSION_COOKIE = 'bw_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
// Signed access tokens are a few hundred bytes; anything far longer is not one of ours.
const MAX_BEARER_LENGTH = 4096;

export interface AuthenticationDeps {
  readonly sessions: Sessions;
  readonly apiKeys: ApiKeys;
  readonly config: Config;
  readonly clock: Clock;
}

/**
 * Authenticates every request to a non-public route before its body is even parsed, then checks the
 * route's declared access: who may call it, whether a fresh authentication is needed (step-up), and
 * whether a staff session still owes a second factor. Bearer tokens need no CSRF token; cookies do.
 */
export function installAuthentication(app: FastifyInstance, deps: AuthenticationDeps): void {
  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route) => {
    const access = (route.config as { access?: Access } | undefined)?.access;
    if (access && 'permission' in access && !isPermission(access.permission)) {
      throw new Error(`route ${route.url} names an unknown permission ${access.permission}`);
    }
  });

  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    // No declaration means the not-found handler: every registered route has one (enforced at start).
    if (!access || 'public' in access) return;
    const principal = await authenticate(request, deps);
    if (!principal) {
      throw IdentityErrors.IDENTITY_UNAUTHENTICATED('Log in, or send a valid bearer token.', {
        headers: { 'www-authenticate': 'Bearer realm="bulwark"' },
      });
    }
    if (principal.kind !== 'service' && principal.enrolmentOnly && !access.enrolment) {
      throw IdentityErrors.IDENTITY_MFA_ENROLMENT_REQUIRED(
        'Staff accounts must set up a second factor (an authenticator app or a passkey) before anything else.',
      );
    }
    if (!allowed(principal, access)) {
      throw IdentityErrors.IDENTITY_FORBIDDEN('Your account may not use this operation.');
    }
    if (access.stepUp && principal.kind !== 'service') requireRecentAuthentication(principal, deps);
    request.principal = principal;
  });
}

/**
 * Refuses a sensitive action unless the caller authenticated within the step-up window (RFC 9470's
 * `insufficient_user_authentication`). Modules call it for actions that are sensitive only sometimes.
 */
export function requireRecentAuthentication(
  principal: PersonPrincipal,
  deps: { config: Config; clock: Clock },
): void {
  const age = (deps.clock.now().getTime() - principal.authenticatedAt.getTime()) / 1000;
  if (age <= deps.config.stepUpSeconds) return;
  const maxAge = deps.config.stepUpSeconds;
  throw IdentityErrors.IDENTITY_STEP_UP_REQUIRED(
    `This action needs you to confirm it is you: authenticate again (POST /v1/auth/step-up), then retry within ${Math.floor(maxAge / 60)} minutes.`,
    {
      headers: {
        'www-authenticate': `Bearer realm="bulwark", error="insufficient_user_authentication", max_age=${maxAge}`,
      },
      extensions: { maxAge },
    },
  );
}

async function authenticate(
  request: FastifyRequest,
  deps: AuthenticationDeps,
): Promise<CallerPrincipal | null> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header);
    const token = match?.[1];
    if (!token || token.length > MAX_BEARER_LENGTH) return null;
    return deps.apiKeys.isApiKey(token)
      ? deps.apiKeys.authenticate(token)
      : deps.sessions.authenticateBearer(token);
  }
  const cookie = request.cookies[SESSION_COOKIE];
  if (!cookie || cookie.length > 200) return null;
  const found = await deps.sessions.authenticateCookie(cookie);
  if (!found) return null;
  if (!SAFE_METHODS.has(request.method)) {
    refuseForeignOrigin(request, deps.config);
    const presented = request.headers['x-csrf-token'];
    if (!deps.sessions.csrfMatches(found.csrfHash, typeof presented === 'string' ? presented : undefined)) {
      throw IdentityErrors.IDENTITY_CSRF_FAILED('This request needs the X-CSRF-Token issued at login.');
    }
  }
  return found.principal;
}

/**
 * The third wall against cross-site requests riding a session cookie (with SameSite and the token): a
 * browser names the page's origin on every unsafe request, and it must be ours or an allowed one. A
 * request without Origin (older or non-browser clients) still needs the token.
 */
function refuseForeignOrigin(request: FastifyRequest, config: Config): void {
  const origin = request.headers.origin;
  const site = request.headers['sec-fetch-site'];
  const trusted =
    origin === config.publicUrl || (origin !== undefined && config.corsOrigins.includes(origin));
  if ((origin !== undefined && !trusted) || (site === 'cross-site' && !trusted)) {
    throw IdentityErrors.IDENTITY_CSRF_FAILED('Requests from other sites may not use this session.');
  }
}

function allowed(principal: Principal, access: Exclude<Access, { public: true }>): boolean {
  if ('principal' in access) {
    if (principal.kind === 'service' || principal.kind === 'system') return false;
    return access.principal === 'any' || principal.kind === access.principal;
  }
  return isPermission(access.permission) && can(principal, access.permission);
}

/** The authenticated caller of a route that is not public: a person or a service. */
export function principalOf(request: FastifyRequest): CallerPrincipal {
  if (!request.principal) throw IdentityErrors.IDENTITY_UNAUTHENTICATED('Authentication required.');
  return request.principal;
}

/** The person (shopper or staff) behind a route that only people may use. */
export function personOf(request: FastifyRequest): PersonPrincipal {
  const principal = principalOf(request);
  if (principal.kind === 'service') throw IdentityErrors.IDENTITY_FORBIDDEN('Only people may do this.');
  return principal;
}

export function shopperOf(request: FastifyRequest): ShopperPrincipal {
  const principal = principalOf(request);
  if (principal.kind !== 'shopper') throw IdentityErrors.IDENTITY_FORBIDDEN('Only shoppers may do this.');
  return principal;
}

export function staffOf(request: FastifyRequest): StaffPrincipal {
  const principal = principalOf(request);
  if (principal.kind !== 'staff') throw IdentityErrors.IDENTITY_FORBIDDEN('Only staff may do this.');
  return principal;
}
