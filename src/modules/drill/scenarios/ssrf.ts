import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { signUpShopper } from '../drill-client.ts';
import { blank, type Scenario } from '../scenario.ts';

/** Internal addresses written the ways filters miss them; `PORT` is the drill's canary on this machine. */
const LINKS = [
  'http://127.0.0.1:PORT/item.htm?id=1',
  'http://localhost:PORT/',
  'http://[::1]:PORT/',
  'http://0.0.0.0:PORT/',
  'http://2130706433:PORT/',
  'http://0x7f.0.0.1:PORT/',
  'http://127.1:PORT/',
  'https://item.taobao.com@127.0.0.1:PORT/item.htm?id=1',
  'http://127.0.0.1:PORT/?u=https://item.taobao.com/item.htm?id=1',
  'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://10.0.0.1/',
  'http://192.168.0.1/',
  'file:///etc/passwd',
  'gopher://127.0.0.1:PORT/_',
];

/**
 * Capital One 2019: a server made to fetch internal addresses. Product links pointing inside are
 * submitted; a canary HTTP server on this machine counts any fetch. Passes when every link is refused
 * and the canary heard nothing.
 */
export const ssrf: Scenario = {
  id: 'ssrf',
  title: 'Product links that point at internal addresses',
  async run(context) {
    let hits = 0;
    const canary = http.createServer((_request, response) => {
      hits += 1;
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<title>canary</title>');
    });
    await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((canary.address() as AddressInfo).port);
      const shopper = await signUpShopper(context, 'linker');
      const accepted: string[] = [];
      for (const template of LINKS) {
        const link = template.replace('PORT', port);
        const answer = await shopper.client.post('/v1/links/resolve', { link });
        if (answer.status < 300) accepted.push(link);
      }
      const failures = [
        hits > 0 && `the server fetched the canary ${hits} time(s)`,
        accepted.length > 0 && `accepted: ${accepted.slice(0, 3).join(', ')}`,
      ].filter((f): f is string => typeof f === 'string');
      return {
        ...blank(this.id),
        obtained: hits + accepted.length,
        pass: failures.length === 0,
        reason: failures.join('; ') || `all ${LINKS.length} refused; nothing fetched`,
      };
    } finally {
      await new Promise((resolve) => canary.close(resolve));
    }
  },
};
