import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Access } from '../../platform/http/access.ts';
import { IdentityErrors } from './identity.errors.ts';
import {
  can,
  isPermission,
  type Principal,
  type ShopperPrincipal,
  type StaffPrincipal,
} from './principal.ts';
import type { Sessions } from './sessions.service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: ShopperPrincipal | StaffPrincipal | null;
  }
}

export const SESSION_COOKIE = 'bw_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Authenticates every request to a non-public route before its body is even parsed, then checks the
 * route's declared access. Bearer tokens need no CSRF token; cookie sessions do on unsafe methods.
 */
export function installAuthentication(app: FastifyInstance, sessions: Sessions): void {
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
    const principal = await authenticate(request, sessions);
    if (!principal) {
      throw IdentityErrors.IDENTITY_UNAUTHENTICATED('Log in, or send a valid bearer token.', {
        headers: { 'www-authenticate': 'Bearer realm="bulwark"' },
      });
    }
    if (!allowed(principal, access)) {
      throw IdentityErrors.IDENTITY_FORBIDDEN('Your account may not use this operation.');
    }
    request.principal = principal;
  });
}

async function authenticate(request: FastifyRequest, sessions: Sessions) {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(header);
    return match?.[1] ? sessions.authenticateBearer(match[1]) : null;
  }
  const cookie = request.cookies[SESSION_COOKIE];
  if (!cookie || cookie.length > 200) return null;
  const found = await sessions.authenticateCookie(cookie);
  if (!found) return null;
  if (!SAFE_METHODS.has(request.method)) {
    const presented = request.headers['x-csrf-token'];
    if (!sessions.csrfMatches(found.csrfHash, typeof presented === 'string' ? presented : undefined)) {
      throw IdentityErrors.IDENTITY_CSRF_FAILED('This request needs the X-CSRF-Token issued at login.');
    }
  }
  return found.principal;
}

function allowed(principal: Principal, access: Exclude<Access, { public: true }>): boolean {
  if ('principal' in access) return access.principal === 'any' || principal.kind === access.principal;
  return isPermission(access.permission) && can(principal, access.permission);
}

/** The authenticated caller of a route that is not public. */
export function principalOf(request: FastifyRequest): ShopperPrincipal | StaffPrincipal {
  if (!request.principal) throw IdentityErrors.IDENTITY_UNAUTHENTICATED('Authentication required.');
  return request.principal;
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
