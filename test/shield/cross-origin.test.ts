import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { Client, createTestApp, expectProblem, signUp, type TestApp } from '../helpers/test-app.ts';

const PARTNER = 'https://partner.example';
const EVIL = 'https://evil.example';

/**
 * Browsers: CORS answers only the configured origins, and a cookie session refuses unsafe requests
 * that a browser says come from another site — even carrying the right CSRF token.
 */
describe('cross-origin requests', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp({ BULWARK_PUBLIC_URL: 'https://shop.example', BULWARK_CORS_ORIGINS: PARTNER });
  });
  afterAll(() => test.close());

  async function browserSession() {
    const shopper = await signUp(test);
    const login = await test.anonymous.post('/v1/auth/login', {
      email: shopper.email,
      password: shopper.password,
    });
    const cookie = String(login.headers['set-cookie']).split(';')[0] as string;
    return { browser: new Client(test.app, { cookie }), csrf: login.json().csrfToken as string };
  }

  it('a preflight from an allowed origin is answered with credentials; any other origin gets no CORS headers', async () => {
    const preflight = (origin: string) =>
      test.app.inject({
        method: 'OPTIONS',
        url: '/v1/me',
        headers: {
          origin,
          'access-control-request-method': 'PATCH',
          'access-control-request-headers': 'content-type,x-csrf-token',
        },
      });
    const partner = await preflight(PARTNER);
    expect(partner.statusCode).toBe(204);
    expect(partner.headers['access-control-allow-origin']).toBe(PARTNER);
    expect(partner.headers['access-control-allow-credentials']).toBe('true');
    expect(String(partner.headers['access-control-allow-headers'])).toContain('x-csrf-token');
    const evil = await preflight(EVIL);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    expect(evil.headers['access-control-allow-credentials']).toBeUndefined();
    const read = await test.anonymous.get('/healthz', { origin: EVIL });
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('a cookie session refuses an unsafe request from another origin even with the right CSRF token', async () => {
    const { browser, csrf } = await browserSession();
    const foreign: Record<string, string>[] = [
      { origin: EVIL },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of foreign) {
      const refused = await browser.patch(
        '/v1/me',
        { fullName: 'Forged' },
        { 'x-csrf-token': csrf, ...headers },
      );
      expect(expectProblem(refused, 403).code, JSON.stringify(headers)).toBe('IDENTITY_CSRF_FAILED');
    }
    expect((await browser.get('/v1/me')).json().fullName).toBe('Test Shopper');
  });

  it('our own origin, an allowed one, or no Origin at all (with the token) pass', async () => {
    const { browser, csrf } = await browserSession();
    const friendly: Record<string, string>[] = [
      { origin: 'https://shop.example', 'sec-fetch-site': 'same-origin' },
      { origin: PARTNER, 'sec-fetch-site': 'cross-site' },
      {},
    ];
    for (const headers of friendly) {
      const ok = await browser.patch('/v1/me', { fullName: 'Anna K.' }, { 'x-csrf-token': csrf, ...headers });
      expect(ok.statusCode, JSON.stringify(headers)).toBe(200);
    }
  });

  it('bearer tokens are not cookies: no origin check applies to them', async () => {
    const shopper = await signUp(test);
    const ok = await shopper.client.patch('/v1/me', { fullName: 'Anna K.' }, { origin: EVIL });
    expect(ok.statusCode).toBe(200);
  });

  it('BULWARK_CORS_ORIGINS takes bare origins only', () => {
    expect(loadConfig({ BULWARK_CORS_ORIGINS: `${PARTNER}, http://localhost:5173` }).corsOrigins).toEqual([
      PARTNER,
      'http://localhost:5173',
    ]);
    for (const bad of [
      'https://partner.example/',
      'partner.example',
      'https://partner.example/path',
      'ftp://x.example',
      '*',
    ]) {
      expect(() => loadConfig({ BULWARK_CORS_ORIGINS: bad }), bad).toThrow(/^BULWARK_CORS_ORIGINS: /);
    }
  });
});
