import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../src/modules/vault/index.ts';
import { buildServer } from '../../src/server.ts';
import { freePort, tempDataDir } from '../helpers/spawn-bulwark.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/bulwark.js');

/**
 * Built-in HTTPS: TLS 1.2 at least, forward-secret AEAD suites only, HSTS on every answer. node:tls probes
 * the server the way a scanner would, on every machine; where testssl.sh is installed, tls-scan.test.ts
 * runs it too.
 */
describe('built-in HTTPS', () => {
  let test: TestApp;
  let server: FastifyInstance;
  let port: number;

  beforeAll(async () => {
    test = await createTestApp();
    server = (await buildServer(test.container, {
      tls: await selfSignedCertificate(),
      logger: false,
    })) as unknown as FastifyInstance;
    await server.listen({ host: '127.0.0.1', port: 0 });
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await server.close();
    await test.close();
  });

  /** Completes a handshake with the given client settings; resolves the negotiated protocol and suite. */
  function handshake(options: tls.ConnectionOptions): Promise<{ protocol: string | null; cipher: string }> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }, () => {
        const result = { protocol: socket.getProtocol(), cipher: socket.getCipher().name };
        socket.end();
        resolve(result);
      });
      socket.once('error', reject);
    });
  }

  it('prefers TLS 1.3 and accepts TLS 1.2 only with forward-secret AEAD suites', async () => {
    expect((await handshake({})).protocol).toBe('TLSv1.3');
    const twelve = await handshake({ maxVersion: 'TLSv1.2' });
    expect(twelve.protocol).toBe('TLSv1.2');
    expect(twelve.cipher).toMatch(/^ECDHE-(ECDSA|RSA)-(AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)$/);
  });

  it('refuses TLS 1.0 and 1.1', async () => {
    for (const version of ['TLSv1', 'TLSv1.1'] as const) {
      await expect(
        handshake({ minVersion: version, maxVersion: version, ciphers: 'ALL:@SECLEVEL=0' }),
        version,
      ).rejects.toThrow();
    }
  });

  it('refuses weak TLS 1.2 suites: CBC, static RSA key exchange, 3DES, RC4, NULL and export', async () => {
    for (const ciphers of [
      'AES128-SHA',
      'AES256-GCM-SHA384',
      'ECDHE-RSA-AES128-SHA',
      'ECDHE-ECDSA-AES256-SHA384',
      'ECDHE-ECDSA-AES128-SHA',
      'DES-CBC3-SHA',
      'RC4-SHA',
      'NULL-SHA256',
      'EXP-RC4-MD5',
    ]) {
      await expect(
        handshake({ maxVersion: 'TLSv1.2', ciphers: `${ciphers}:@SECLEVEL=0` }),
        ciphers,
      ).rejects.toThrow();
    }
  });

  it('answers over HTTPS with HSTS and the usual security headers', async () => {
    const response = await new Promise<{ status: number; headers: Record<string, unknown> }>(
      (resolve, reject) => {
        https
          .get({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false }, (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, headers: res.headers });
          })
          .once('error', reject);
      },
    );
    expect(response.status).toBe(200);
    expect(response.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('sends no HSTS over plain HTTP (it would be meaningless there)', async () => {
    const plain = await test.anonymous.get('/healthz');
    expect(plain.headers['strict-transport-security']).toBeUndefined();
  });
});

describe('bulwark start --tls-self-signed', () => {
  it('serves HTTPS on the port, and the redirect port answers 308 to the public HTTPS origin', async () => {
    const port = await freePort();
    const redirectPort = await freePort();
    const child = spawn(process.execPath, [BIN, 'start', '--tls-self-signed'], {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        BULWARK_DATA_DIR: tempDataDir(),
        // Its own embedded database: the suite's PostgreSQL pass must not lend it a shared one.
        DATABASE_URL: '',
        BULWARK_PUBLIC_URL: `http://localhost:${port}`,
        BULWARK_HTTP_REDIRECT_PORT: String(redirectPort),
        BULWARK_SEED_DEMO: 'false',
        LOG_LEVEL: 'warn',
      },
      stdio: 'pipe',
    });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      const deadline = Date.now() + 60_000;
      let status = 0;
      while (status !== 200) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no HTTPS answer:\n${output}`);
        status = await get(https, port).then(
          (res) => res.status,
          () => 0,
        );
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(output).toContain('self-signed certificate: for local use only');
      const redirected = await get(http, redirectPort, '/v1/me?x=1');
      expect(redirected.status).toBe(308);
      expect(redirected.headers.location).toBe(`https://localhost:${port}/v1/me?x=1`);
      // Plain HTTP on the TLS port is not served.
      await expect(get(http, port)).rejects.toThrow();
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});

function get(
  client: typeof http | typeof https,
  port: number,
  path = '/healthz',
): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = client.get(
      { host: '127.0.0.1', port, path, rejectUnauthorized: false, timeout: 2_000 },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
      },
    );
    request.once('timeout', () => request.destroy(new Error('timeout')));
    request.once('error', reject);
  });
}
