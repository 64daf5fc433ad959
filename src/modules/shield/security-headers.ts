import type { FastifyInstance } from 'fastify';

const API_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

/** Two years, subdomains included: once a browser has seen HTTPS here it never tries plain HTTP again. */
const HSTS = 'max-age=63072000; includeSubDomains';

/**
 * The web app's policy (DESIGN §3 step 2): scripts only with this response's nonce (and what they load,
 * 'strict-dynamic'), no inline handlers or eval, styles and everything else from this origin only, no
 * framing, no plugins, no <base>, and DOM sinks only through Trusted Types. A fresh nonce per response.
 */
export function pagePolicy(nonce: string, options: { https: boolean }): string {
  if (!/^[A-Za-z0-9+/_-]{22,}={0,2}$/.test(nonce))
    throw new Error('a CSP nonce must be base64, 128 bits or more');
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}' 'strict-dynamic'`,
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
    "require-trusted-types-for 'script'",
    ...(options.https ? ['upgrade-insecure-requests'] : []),
  ].join('; ');
}

/**
 * Headers on every response. API answers are never cached (they carry personal data). The docs UI sets
 * its own script-allowing CSP, pages set `pagePolicy`; everything else gets a CSP that allows nothing.
 */
export function installSecurityHeaders(
  app: FastifyInstance,
  options: { docsPrefix: string; hsts: boolean },
): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (options.hsts) reply.header('strict-transport-security', HSTS);
    const isDocs = request.url === options.docsPrefix || request.url.startsWith(`${options.docsPrefix}/`);
    for (const [name, value] of Object.entries(API_HEADERS)) {
      if (isDocs && name === 'content-security-policy') continue;
      if (!reply.hasHeader(name)) reply.header(name, value);
    }
    if (!isDocs) reply.header('cache-control', 'no-store');
    return payload;
  });
}
