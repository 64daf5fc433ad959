import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { idempotencyKey } from '../helpers/commerce-flows.ts';
import { createTestApp, signUp, type TestApp } from '../helpers/test-app.ts';

const KEY = Buffer.alloc(32, 7).toString('base64');

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('configuration', () => {
  it('production refuses to start without BULWARK_MASTER_KEY, so the key never sits beside the data', () => {
    expect(refusal({ NODE_ENV: 'production' }).variable).toBe('BULWARK_MASTER_KEY');
    expect(loadConfig({ NODE_ENV: 'production', BULWARK_MASTER_KEY: KEY }).env).toBe('production');
  });

  it('development payments are off in production and whenever the server listens beyond loopback', () => {
    expect(loadConfig({}).devPayments).toBe(true);
    expect(loadConfig({ HOST: '0.0.0.0' }).devPayments).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', BULWARK_MASTER_KEY: KEY }).devPayments).toBe(false);
    expect(
      refusal({ NODE_ENV: 'production', BULWARK_MASTER_KEY: KEY, BULWARK_DEV_PAYMENTS: 'true' }).variable,
    ).toBe('BULWARK_DEV_PAYMENTS');
  });

  it('cookies are Secure in production and beyond loopback', () => {
    expect(loadConfig({}).secureCookies).toBe(false);
    expect(loadConfig({ HOST: '10.0.0.5' }).secureCookies).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production', BULWARK_MASTER_KEY: KEY }).secureCookies).toBe(true);
  });

  it("password hashing defaults to 128 MiB and 3 passes and refuses anything below OWASP's minimum", () => {
    expect(loadConfig({}).argon2).toEqual({ memoryCost: 131072, timeCost: 3, parallelism: 1 });
    expect(() => loadConfig({ BULWARK_ARGON2_MEMORY_KIB: '8192' })).toThrow(/BULWARK_ARGON2_MEMORY_KIB/);
    expect(() => loadConfig({ BULWARK_ARGON2_TIME_COST: '1' })).toThrow(/BULWARK_ARGON2_TIME_COST/);
    expect(
      loadConfig({ BULWARK_ARGON2_MEMORY_KIB: '19456', BULWARK_ARGON2_TIME_COST: '2' }).argon2.memoryCost,
    ).toBe(19456);
  });

  it('TLS needs both a readable certificate and key, or neither', () => {
    const file = path.join(os.tmpdir(), `bulwark-tls-${process.pid}.pem`);
    fs.writeFileSync(file, 'pem');
    try {
      expect(() => loadConfig({ BULWARK_TLS_CERT: file })).toThrow(/^BULWARK_TLS_KEY: is needed too/);
      expect(() => loadConfig({ BULWARK_TLS_KEY: file })).toThrow(/^BULWARK_TLS_CERT: is needed too/);
      expect(() => loadConfig({ BULWARK_TLS_CERT: file, BULWARK_TLS_KEY: '/nonexistent/key.pem' })).toThrow(
        /^BULWARK_TLS_KEY: names a file that cannot be read/,
      );
      expect(loadConfig({ BULWARK_TLS_CERT: file, BULWARK_TLS_KEY: file })).toMatchObject({
        tlsCertFile: file,
        tlsKeyFile: file,
        httpRedirectPort: null,
      });
      expect(() => loadConfig({ BULWARK_HTTP_REDIRECT_PORT: '99999' })).toThrow(/BULWARK_HTTP_REDIRECT_PORT/);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('secrets never show in the frozen configuration', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:hunter2@db/x', BULWARK_MASTER_KEY: KEY });
    expect(Object.isFrozen(config)).toBe(true);
    expect(JSON.stringify(config)).not.toContain('hunter2');
    expect(JSON.stringify(config)).not.toContain(KEY);
    expect(String(config.databaseUrl)).toBe('[secret]');
  });

  it('any PORT that is not a whole number from 0 to 65535 is refused by name, without echoing it', () => {
    fc.assert(
      fc.property(fc.string(), (port) => {
        const valid = /^\d+$/.test(port.trim()) && Number(port.trim()) <= 65535;
        if (port.trim() === '' || valid) return;
        const error = refusal({ PORT: port });
        expect(error.variable).toBe('PORT');
        expect(error.message.split('\n')).toHaveLength(1);
      }),
    );
  });

  it('a URL that may hold a password is never echoed when refused', () => {
    const error = refusal({ DATABASE_URL: 'mysql://admin:hunter2@db/x' });
    expect(error.variable).toBe('DATABASE_URL');
    expect(error.message).not.toContain('hunter2');
  });
});

describe('the development payment provider', () => {
  let test: TestApp;
  afterAll(() => test?.close());

  it('refuses top-ups when it is off', async () => {
    test = await createTestApp({ HOST: '0.0.0.0' });
    const shopper = await signUp(test);
    const response = await shopper.client.post(
      '/v1/wallet/top-ups',
      { amount: 10_000 },
      { 'idempotency-key': idempotencyKey() },
    );
    expect(response.statusCode).toBe(503);
    expect(response.json().code).toBe('COMMERCE_PAYMENTS_DISABLED');
    expect((await shopper.client.get('/v1/wallet')).json().balance).toBe(0);
  });
});
