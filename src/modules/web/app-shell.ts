import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pagePolicy } from '../shield/index.ts';
import { randomToken } from '../vault/index.ts';

/** What the shell holds until the web app is built: a page that says so, styled by a nonce'd block. */
const PLACEHOLDER = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bulwark</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}</style>
</head>
<body>
<h1>Bulwark</h1>
<p>The API is running. Its reference is at <a href="/docs">/docs</a>.</p>
</body>
</html>
`;

/**
 * Puts this response's nonce on every <script> and <style> element of the page, so those and only those
 * run under `pagePolicy`. The page is ours (built by Vite, or the placeholder), never user input.
 */
export function withNonce(html: string, nonce: string): string {
  return html.replace(/<(script|style)(?=[\s>])/gi, `<$1 nonce="${nonce}"`);
}

/**
 * Serves the web app's entry page at `/` under a strict CSP with a fresh nonce per response. The built
 * app (`web/dist/index.html`) when present, the placeholder otherwise.
 */
export function registerAppShell(app: FastifyInstance, options: { https: boolean; distDir?: string }): void {
  const builtPage = path.join(options.distDir ?? path.resolve('web', 'dist'), 'index.html');
  const page = fs.existsSync(builtPage) ? fs.readFileSync(builtPage, 'utf8') : PLACEHOLDER;
  app.get('/', {
    config: { access: { public: true } },
    schema: { hide: true },
    handler: async (_request, reply) => {
      // 128 bits from the CSPRNG, base64url: the 'n_' prefix of the token form is not part of it.
      const nonce = randomToken('n').slice(2);
      return reply
        .header('content-security-policy', pagePolicy(nonce, options))
        .type('text/html; charset=utf-8')
        .send(withNonce(page, nonce));
    },
  });
}
