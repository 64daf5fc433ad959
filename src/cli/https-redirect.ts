import http from 'node:http';
import type { Config } from '../config/index.ts';

/**
 * A plain-HTTP listener that answers every request with a permanent redirect to the same path over
 * HTTPS, and nothing else: no route, no body parsing, no cookies. The host in the redirect is the
 * configured public URL's, never the request's Host header (which an attacker chooses).
 */
export async function listenHttpsRedirect(config: Config, port: number): Promise<{ close(): Promise<void> }> {
  const target = new URL(config.publicUrl);
  target.protocol = 'https:';
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').startsWith('/') ? (request.url ?? '/') : '/';
    response.writeHead(308, {
      location: `${target.origin}${path}`,
      'content-length': '0',
      connection: 'close',
    });
    response.end();
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, config.host, () => resolve());
  });
  return { close: () => new Promise((resolve) => server.close(() => resolve())) };
}
