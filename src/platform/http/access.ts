import type { FastifyInstance } from 'fastify';

/**
 * What a route demands of its caller. Every route must say; a route without a declaration refuses to
 * register, so forgetting to protect a route is a start-up failure rather than an open door.
 */
export type Access =
  | { readonly public: true }
  | ({ readonly principal: 'shopper' | 'any' } & Guards)
  | ({ readonly permission: string } & Guards);

/** Extra demands on an authenticated caller. */
export interface Guards {
  /** A sensitive action: the caller must have authenticated within the step-up window. */
  readonly stepUp?: true;
  /** Open to a staff session that has not enrolled a second factor yet (everything else is closed to it). */
  readonly enrolment?: true;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyInstance {
    /** Every route with the access it declared, for tests and the audit to walk. */
    declaredRoutes: DeclaredRoute[];
  }
}

export interface DeclaredRoute {
  readonly method: string;
  readonly url: string;
  readonly access: Access;
  /** The route's schema (body, querystring, params), for tests that walk what each route accepts. */
  readonly schema: unknown;
}

export function isPublic(access: Access | undefined): boolean {
  return access !== undefined && 'public' in access;
}

/** Refuses undeclared routes and marks public ones `security: []` in the OpenAPI document. */
export function enforceAccessDeclarations(app: FastifyInstance, publicPrefixes: readonly string[]): void {
  const declared: DeclaredRoute[] = [];
  app.decorate('declaredRoutes', declared);
  app.addHook('onRoute', (route) => {
    const url = route.url ?? route.path ?? '';
    const config = (route.config ?? {}) as { access?: Access };
    // The CORS plugin's catch-all preflight answers only CORS headers (or none): public, and not an
    // operation of the API, so it is not listed among the declared routes.
    if (url === '*' && [route.method].flat().every((method) => method === 'OPTIONS')) {
      route.config = { ...config, access: { public: true } } as typeof route.config;
      return;
    }
    // Routes that plugins register themselves (the API docs) are public by listing, not by omission.
    if (publicPrefixes.some((prefix) => url === prefix || url.startsWith(`${prefix}/`))) {
      route.config = { ...config, access: { public: true } } as typeof route.config;
    }
    const access = (route.config as { access?: Access } | undefined)?.access;
    if (!access) throw new Error(`route ${String(route.method)} ${url} does not declare its access`);
    if (isPublic(access)) {
      route.schema = { ...(route.schema ?? {}), security: [] } as typeof route.schema;
    }
    for (const method of [route.method].flat())
      declared.push({ method: String(method), url, access, schema: route.schema });
  });
}
