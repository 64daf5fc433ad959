import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pagePolicy } from '../../src/modules/shield/index.ts';
import { withNonce } from '../../src/modules/web/index.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// The web app's entry page under a strict Content-Security-Policy: a fresh nonce per response on every
// script and style, nothing inline without it, no framing. API answers keep the policy that allows nothing.

const directives = (policy: string) =>
  new Map(
    policy.split(';').map((part) => {
      const [name = '', ...values] = part.trim().split(/\s+/);
      return [name, values] as const;
    }),
  );

describe('the web page policy', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp();
  });
  afterAll(() => test.close());

  it('the entry page carries a nonce that only its own scripts and styles hold, fresh on every answer', async () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const response = await test.app.inject({ method: 'GET', url: '/' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      const policy = directives(String(response.headers['content-security-policy']));
      const nonce = /^'nonce-([A-Za-z0-9_-]{43})'$/.exec(policy.get('script-src')?.[0] ?? '')?.[1];
      expect(nonce).toBeDefined();
      nonces.add(String(nonce));
      expect(policy.get('script-src')).toEqual([`'nonce-${nonce}'`, "'strict-dynamic'"]);
      expect(policy.get('style-src')).toEqual(["'self'", `'nonce-${nonce}'`]);
      expect(policy.get('default-src')).toEqual(["'none'"]);
      expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
      expect(policy.get('base-uri')).toEqual(["'none'"]);
      expect(policy.get('object-src')).toEqual(["'none'"]);
      expect(policy.get('require-trusted-types-for')).toEqual(["'script'"]);
      // Plain HTTP in this test: upgrade-insecure-requests only comes with built-in HTTPS.
      expect(policy.has('upgrade-insecure-requests')).toBe(false);
      const raw = String(response.headers['content-security-policy']);
      expect(raw).not.toMatch(/unsafe-inline|unsafe-eval|unsafe-hashes|\*/);
      // Every script and style element of the page holds this answer's nonce, and no other.
      const tags = response.body.match(/<(script|style)\b[^>]*>/gi) ?? [];
      expect(tags.length).toBeGreaterThan(0);
      for (const tag of tags) expect(tag).toContain(`nonce="${nonce}"`);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(response.headers['cross-origin-resource-policy']).toBe('same-origin');
      expect(response.headers['permissions-policy']).toContain('camera=()');
    }
    expect(nonces.size).toBe(20);
  });

  it('API answers keep the policy that allows nothing', async () => {
    const response = await test.app.inject({ method: 'GET', url: '/healthz' });
    expect(response.headers['content-security-policy']).toBe(
      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
  });

  it('upgrade-insecure-requests comes with HTTPS; a nonce that is not base64 of 128 bits is refused', () => {
    expect(pagePolicy('A'.repeat(22), { https: true })).toContain('upgrade-insecure-requests');
    for (const bad of ['short', `${'A'.repeat(22)}' 'unsafe-inline`, `${'A'.repeat(22)};`, '']) {
      expect(() => pagePolicy(bad, { https: false }), bad).toThrow(/nonce/);
    }
  });

  it('fast-check: every script and style element gets the nonce, and nothing else is changed', () => {
    const element = fc.constantFrom('<script>', '<script src="/a.js">', '<SCRIPT type="module">', '<style>');
    const other = fc.constantFrom('<scripts>', '<p>', 'text', '<stylesheet>', '<link rel="stylesheet">');
    fc.assert(
      fc.property(fc.array(fc.oneof(element, other), { maxLength: 20 }), (parts) => {
        const html = parts.join('');
        const out = withNonce(html, 'N0nce');
        expect(out.replaceAll(' nonce="N0nce"', '')).toBe(html);
        const expected = parts.filter((p) => /^<(script|style)[\s>]/i.test(p)).length;
        expect(out.split('nonce="N0nce"').length - 1).toBe(expected);
      }),
    );
  });
});
