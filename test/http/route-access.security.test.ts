import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concreteUrl } from '../helpers/route-params.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// The only routes anyone may call without credentials. Adding one here is a security decision: each is
// something a person who is not logged in needs, and each carries its own proof (a password, a ticket
// from the first login step, a passkey assertion, or a single-use link token from the mailbox).
const PUBLIC_ROUTES = [
  // operations
  'GET /healthz',
  'GET /readyz',
  'GET /openapi.json',
  // Prometheus metrics: its own bearer token or an address allow-list, and 404 when neither is configured
  'GET /metrics',
  'GET /.well-known/jwks.json',
  // the web app's entry page (no data: the app asks the API for everything)
  'GET /',
  // signing up and logging in (password, then the second step with the ticket of the first)
  'POST /v1/auth/register',
  'POST /v1/auth/token',
  'POST /v1/auth/token/mfa',
  'POST /v1/auth/refresh',
  'POST /v1/auth/login',
  'POST /v1/auth/login/mfa',
  // passkeys: passwordless login, and a passkey as the second step of a password login
  'POST /v1/auth/passkey/options',
  'POST /v1/auth/passkey/token',
  'POST /v1/auth/passkey/login',
  'POST /v1/auth/mfa/passkey-options',
  'POST /v1/auth/token/mfa/passkey',
  'POST /v1/auth/login/mfa/passkey',
  // links followed from a mailbox, each with a single-use token
  'POST /v1/auth/password-reset',
  'POST /v1/auth/password-reset/confirm',
  'POST /v1/auth/not-me',
  'POST /v1/auth/email-change/confirm',
];

const isDocs = (url: string) => url === '/docs' || url.startsWith('/docs/');

describe('deny by default', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp();
  });
  afterAll(() => test.close());

  it('every public route is on the explicit list (the docs UI aside)', () => {
    const routes = test.app.declaredRoutes.filter((route) => route.method !== 'HEAD');
    expect(routes.length).toBeGreaterThan(40);
    const publicRoutes = routes
      .filter((route) => 'public' in route.access && !isDocs(route.url))
      .map((route) => `${route.method} ${route.url}`)
      .sort();
    expect(publicRoutes).toEqual([...PUBLIC_ROUTES].sort());
  });

  it('every other route answers 401 problem+json to a caller without credentials, before reading the body', async () => {
    const guarded = test.app.declaredRoutes.filter(
      (route) => !('public' in route.access) && route.method !== 'HEAD',
    );
    for (const route of guarded) {
      const response = await test.app.inject({
        method: route.method as 'GET',
        url: concreteUrl(route.url),
        payload: route.method === 'GET' ? undefined : '{not json',
        headers: { 'content-type': 'application/json' },
      });
      expect(response.statusCode, `${route.method} ${route.url}`).toBe(401);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json().code, `${route.method} ${route.url}`).toBe('IDENTITY_UNAUTHENTICATED');
      expect(response.headers['www-authenticate']).toBe('Bearer realm="bulwark"');
    }
  });

  it('a forged, expired-looking or malformed bearer token is refused like a missing one', async () => {
    for (const authorization of [
      'Bearer bw_at_forged',
      'Bearer ',
      'Basic dXNlcjpwYXNz',
      `Bearer ${'a'.repeat(5000)}`,
      'bearer x y',
    ]) {
      const response = await test.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization } });
      expect(response.statusCode, authorization.slice(0, 20)).toBe(401);
    }
  });

  it('the OpenAPI document marks exactly the public operations with `security: []`', async () => {
    const document = (await test.anonymous.get('/openapi.json')).json() as {
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    expect(document.openapi).toBe('3.1.0');
    const open: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (Array.isArray(operation.security) && operation.security.length === 0) {
          open.push(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
        }
      }
    }
    // The document itself and the web page are not operations of the API.
    const operations = PUBLIC_ROUTES.filter((route) => route !== 'GET /openapi.json' && route !== 'GET /');
    expect(open.sort()).toEqual(operations.sort());
  });

  it('unknown routes answer a 404 problem, and responses carry security headers and no caching', async () => {
    const response = await test.anonymous.get('/v1/nope');
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.headers['x-request-id']).toMatch(/^req_/);
  });

  it('serves browsable docs at /docs without credentials', async () => {
    const page = await test.anonymous.get('/docs/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('swagger');
  });
});
