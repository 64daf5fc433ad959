import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, tempDataDir } from '../helpers/spawn-bulwark.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/bulwark.js');

interface Finding {
  readonly id: string;
  readonly severity: string;
  readonly finding: string;
}

/**
 * Findings about who vouches for the certificate, which a self-signed certificate cannot pass by its
 * nature: no CA signed it (chain of trust, issuer), so there is nobody to publish revocation (CRL, OCSP,
 * stapling, must-staple) or to log it (certificate transparency). Real deployments bring their own
 * certificate (BULWARK_TLS_CERT/KEY). Everything else testssl.sh reports counts.
 */
const SELF_SIGNED_TRUST_IDS = new Set([
  'cert_chain_of_trust',
  'cert_caIssuers',
  'cert_revocation',
  'cert_crlDistributionPoints',
  'cert_ocspURL',
  'OCSP_stapling',
  'cert_mustStapleExtension',
  'certificate_transparency',
]);

const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

/**
 * testssl.sh against `bulwark start --tls-self-signed`, where the tool is installed (.ci/run installs it).
 * vitest.config.ts runs this file only where testssl is installed, and only in the embedded pass (the
 * server has its own embedded database whatever the suite's engine). Elsewhere test/shield/tls.test.ts
 * probes protocol versions and suites with node:tls.
 */
describe('testssl.sh against bulwark start --tls-self-signed', () => {
  let child: ChildProcess;
  let exited: Promise<unknown>;
  let output = '';
  let port: number;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-testssl-'));

  beforeAll(async () => {
    port = await freePort();
    child = spawn(process.execPath, [BIN, 'start', '--tls-self-signed'], {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        BULWARK_DATA_DIR: tempDataDir(),
        // Its own embedded database: the suite's PostgreSQL pass must not lend it a shared one.
        DATABASE_URL: '',
        BULWARK_PUBLIC_URL: `https://localhost:${port}`,
        BULWARK_SEED_DEMO: 'false',
        LOG_LEVEL: 'warn',
      },
      stdio: 'pipe',
    });
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    exited = new Promise((resolve) => child.on('exit', resolve));
    const deadline = Date.now() + 90_000;
    while (!(await healthy(port))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no HTTPS answer:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }, 100_000);
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGTERM');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finds nothing of severity HIGH or CRITICAL beyond the self-signed certificate not being vouched for', async () => {
    const json = path.join(dir, 'testssl.json');
    const run = await testssl([
      '--quiet',
      '--color',
      '0',
      '--warnings',
      'off',
      // Everything is on this machine: no DNS look-ups (the target is an address), no phoning out.
      '--nodns',
      'none',
      '--connect-timeout',
      '10',
      '--openssl-timeout',
      '10',
      '--jsonfile',
      json,
      '--protocols',
      '--std',
      '--fs',
      '--server-defaults',
      '--server-preference',
      '--vulnerable',
      '--headers',
      `127.0.0.1:${port}`,
    ]);
    expect(fs.existsSync(json), run).toBe(true);
    const findings = JSON.parse(fs.readFileSync(json, 'utf8')) as Finding[];
    const ids = new Set(findings.map((f) => f.id));
    // The scan reached the server and ran the checks asked for: not an empty or aborted report.
    for (const id of ['TLS1_3', 'cipherlist_STRONG', 'cert_keySize', 'heartbleed', 'ROBOT', 'HSTS_time']) {
      expect(ids, `${id} missing from the report:\n${run}`).toContain(id);
    }
    expect(findings.filter((f) => f.id === 'scanProblem' || f.severity === 'FATAL')).toEqual([]);

    const notable = findings.filter((f) => SEVERITIES.includes(f.severity));
    const listed = notable.map((f) => `${f.severity} ${f.id}: ${f.finding}`).join('\n');
    const serious = notable.filter(
      (f) => (f.severity === 'HIGH' || f.severity === 'CRITICAL') && !SELF_SIGNED_TRUST_IDS.has(f.id),
    );
    expect(serious, `testssl.sh findings of LOW and above:\n${listed}`).toEqual([]);

    // What the node:tls probes check, seen by the scanner too.
    const severity = (id: string) => findings.find((f) => f.id === id)?.severity;
    for (const id of ['SSLv2', 'SSLv3', 'TLS1', 'TLS1_1']) {
      expect(findings.find((f) => f.id === id)?.finding, id).toBe('not offered');
    }
    for (const id of ['cipherlist_NULL', 'cipherlist_aNULL', 'cipherlist_EXPORT', 'cipherlist_LOW']) {
      expect(severity(id), id).toBe('OK');
    }
    expect(severity('PFS')).toBe('OK');
  }, 150_000);
});

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = https.get(
      { host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false, timeout: 2_000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    request.once('timeout', () => request.destroy(new Error('timeout')));
    request.once('error', () => resolve(false));
  });
}

/** Runs testssl.sh to completion; its exit status counts findings, so only the report is judged. */
function testssl(args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile('testssl', args, { timeout: 140_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve(`${stdout}${stderr}${error?.killed ? '\n(testssl.sh killed: took too long)' : ''}`);
    });
  });
}
