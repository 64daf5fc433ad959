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

/**
 * Headers on every response. API answers are never cached (they carry personal data). The docs UI sets
 * its own script-allowing CSP; everything else gets a CSP that allows nothing.
 */
/** Two years, subdomains included: once a browser has seen HTTPS here it never tries plain HTTP again. */
const HSTS = 'max-age=63072000; includeSubDomains';

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
