import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderScorecard } from '../../src/modules/drill/index.ts';
import { runBulwark } from '../helpers/spawn-bulwark.ts';
import { createPostgresDatabase, engine } from '../helpers/test-database.ts';

/*
 * `bulwark drill` attacks a fresh instance from outside and scores it. Every scenario passes on the
 * platform as shipped, and each one fails when the protection it is about is switched off: a drill that
 * cannot fail proves nothing.
 */

interface Scorecard {
  pass: boolean;
  scenarios: {
    scenario: string;
    pass: boolean;
    obtained: number;
    reason: string;
    scopePrecision: number | null;
  }[];
}

const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const drop of drops) await drop();
});

/** The drill's own instance on this pass's engine: a fresh PostgreSQL database on the PostgreSQL pass. */
async function drillEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  if (engine !== 'postgres') return extra;
  const database = await createPostgresDatabase();
  drops.push(database.drop);
  return { BULWARK_DRILL_DATABASE_URL: database.url, ...extra };
}

const scorecard = (stdout: string) => JSON.parse(stdout) as Scorecard;

describe('bulwark drill', () => {
  it('passes every scenario against a fresh instance, with exact scope and notices for the stolen token', async () => {
    const run = await runBulwark(['drill', 'all', '--spawn', '--format', 'json'], await drillEnv());
    expect(run.code, run.stderr).toBe(0);
    const card = scorecard(run.stdout);
    expect(card.pass).toBe(true);
    expect(card.scenarios.map((s) => s.scenario)).toEqual([
      'enumerate',
      'lookup',
      'stuffing',
      'stolen-staff-token',
      'scrape',
      'mass-assignment',
      'money',
      'ssrf',
      'dump',
    ]);
    for (const result of card.scenarios)
      expect(result.pass, `${result.scenario}: ${result.reason}`).toBe(true);
    const stolen = card.scenarios.find((s) => s.scenario === 'stolen-staff-token');
    expect(stolen?.obtained).toBe(5);
    expect(stolen?.scopePrecision).toBe(1);
  }, 180_000);

  it('fails enumerate, stuffing, stolen-staff-token and scrape when containment is off and budgets are huge', async () => {
    const run = await runBulwark(
      ['drill', 'enumerate,stuffing,stolen-staff-token,scrape', '--spawn', '--format', 'json'],
      await drillEnv({
        BULWARK_WATCH_CONTAIN: 'false',
        BULWARK_PII_BUDGET_SUPPORT: '1000/1000',
        BULWARK_RATE_LIMIT_LISTING: '100000000/3600',
      }),
    );
    expect(run.code).toBe(1);
    const card = scorecard(run.stdout);
    const byId = new Map(card.scenarios.map((s) => [s.scenario, s]));
    expect(byId.get('enumerate')?.pass).toBe(false);
    expect(byId.get('enumerate')?.reason).toContain('the walker was never stopped');
    expect(byId.get('stolen-staff-token')?.pass).toBe(false);
    expect(byId.get('stolen-staff-token')?.reason).toContain('the token read all 8 victims');
    expect(byId.get('scrape')?.pass).toBe(false);
    expect(byId.get('scrape')?.reason).toContain('never throttled');
    expect(byId.get('stuffing')?.pass).toBe(false);
    expect(byId.get('stuffing')?.reason).toContain('never challenged or blocked');
  }, 180_000);

  it('fails lookup, mass-assignment, money, ssrf and dump against a deliberately careless API', async () => {
    // An API that binds whatever JSON it gets, says which e-mails exist, takes any amount and fetches
    // any link: what each of those scenarios exists to catch.
    const account: Record<string, unknown> = { id: 'usr_weak', role: 'shopper' };
    const emails = new Set<string>();
    // Its "database": every sign-up as it came in, plaintext.
    const dumpFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-weak-')), 'weak.dump');
    let balance = 0;
    const server = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        const json = body ? (JSON.parse(body) as Record<string, unknown>) : {};
        const send = (status: number, value: unknown) => {
          response.writeHead(status, { 'content-type': 'application/json' });
          response.end(JSON.stringify(value));
        };
        const email = String(json.email ?? '');
        switch (request.url) {
          case '/v1/auth/register':
            if (emails.has(email)) return send(409, { code: 'EMAIL_TAKEN' });
            emails.add(email);
            fs.appendFileSync(dumpFile, `${body}\n`);
            return send(201, { id: 'usr_weak' });
          case '/v1/auth/token':
            if (json.password === 'Wrong-pass-1234567')
              return send(401, { code: emails.has(email) ? 'BAD_PASSWORD' : 'NO_USER' });
            return send(200, { accessToken: 'weak' });
          case '/v1/auth/password-reset':
            return send(emails.has(email) ? 202 : 404, {});
          case '/v1/links/resolve': {
            const link = String(json.link ?? '');
            if (!link.startsWith('http://127.0.0.1')) return send(200, { title: 'fetched' });
            return void http
              .get(link, (fetched) => {
                fetched.resume();
                fetched.on('end', () => send(200, { title: 'fetched' }));
              })
              .on('error', () => send(200, { title: 'tried' }));
          }
          case '/v1/wallet/top-ups':
            balance += Number(json.amount) || 0;
            return send(201, { balance });
          case '/v1/wallet/withdrawals':
            balance -= Number(json.amount) || 0;
            return send(201, { balance });
          case '/v1/wallet':
            return send(200, { balance });
          case '/v1/me/addresses':
            return send(201, { id: 'adr_weak', ...json });
          default:
            if (request.method === 'PATCH') Object.assign(account, json);
            return send(200, account);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const run = await runBulwark(
        [
          'drill',
          'lookup,mass-assignment,money,ssrf,dump',
          '--url',
          url,
          '--dump',
          dumpFile,
          '--format',
          'json',
        ],
        {},
      );
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout, run.stderr).not.toBe('');
      const byId = new Map(scorecard(run.stdout).scenarios.map((s) => [s.scenario, s]));
      expect(byId.get('lookup')?.reason).toContain('tells registered addresses apart: sign-up');
      expect(byId.get('mass-assignment')?.reason).toContain('accepted: PATCH /v1/me role');
      expect(byId.get('money')?.reason).toContain('top-up of -100 accepted');
      expect(byId.get('ssrf')?.reason).toContain('the server fetched the canary');
      expect(byId.get('dump')?.reason).toMatch(/^\d+ of \d+ personal values readable in the dump/);
      for (const result of byId.values()) expect(result.pass).toBe(false);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('writes the scorecard as an aligned table and as Markdown', () => {
    const results = [
      {
        scenario: 'stolen-staff-token',
        obtained: 5,
        detectMs: 400,
        containMs: 512,
        incidentOpened: true,
        scopePrecision: 1,
        scopeRecall: 1,
        noticesRight: true,
        pass: true,
        reason: 'stopped after 5 of 8 | revoked',
      },
    ];
    const table = renderScorecard(results, 'table').split('\n');
    expect(table[0]).toMatch(
      /^scenario\s+obtained\s+detect\s+contain\s+incident\s+scope P\/R\s+notices\s+result\s+reason$/,
    );
    expect(table[1]).toMatch(
      /^stolen-staff-token\s+5\s+0\.4 s\s+0\.5 s\s+yes\s+1\.00\/1\.00\s+yes\s+PASS\s+stopped/,
    );
    const markdown = renderScorecard(results, 'markdown').split('\n');
    expect(markdown[1]).toBe('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    expect(markdown[2]).toContain('stopped after 5 of 8 \\| revoked');
  });

  it('refuses unknown scenarios and formats', async () => {
    const unknown = await runBulwark(['drill', 'ransomware', '--url', 'http://127.0.0.1:9'], {});
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown scenario "ransomware"');
    const badFormat = await runBulwark(['drill', 'all', '--spawn', '--format', 'pdf'], {});
    expect(badFormat.code).not.toBe(0);
    expect(badFormat.stderr).toContain('--format must be table, json or markdown');
  });
});
