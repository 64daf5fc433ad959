import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPath } from '../helpers/on-path.ts';
import { createTestApp, type TestApp, uniqueEmail } from '../helpers/test-app.ts';

// Online password guessing against the JSON login of a listening server, as an attacker runs it: a script
// rotating its source address on every guess (a botnet or a proxy pool behind our trusted proxy), a spray
// over many accounts from one address, and hydra. The per-account budget is the limit under test
// (BULWARK_RATE_LIMIT_ACCOUNT, 5 guesses per 15 minutes here; 20 by default).

const ACCOUNT_BUDGET = 5;
const ACCOUNT_WINDOW = 900;
// hydra's http-post-form URL-encodes % space & # = + in ^USER^ and ^PASS^, and these go into JSON
// unchanged: passwords and e-mails here use none of those characters.
const PASSWORD = 'Tangerine-Harbour-4517';

// In the PostgreSQL pass the buckets live in that Redis, as they would in production; a random octet
// keeps one run's addresses out of the windows a previous run left there.
const REDIS: Record<string, string> = process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {};
const RUN = randomInt(1, 250);

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

function baseUrl(test: TestApp): string {
  return `http://127.0.0.1:${(test.app.server.address() as AddressInfo).port}`;
}

async function logIn(base: string, email: string, password: string, from?: string): Promise<Answer> {
  const response = await fetch(`${base}/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(from ? { 'x-forwarded-for': from } : {}) },
    body: JSON.stringify({ email, password }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
}

async function shopper(test: TestApp, prefix: string): Promise<string> {
  // Made without HTTP, so no sign-up has spent any of the account's budget.
  const email = uniqueEmail(prefix);
  await test.container.identity.accounts.registerShopper({
    email,
    password: PASSWORD,
    fullName: 'Test Shopper',
    country: 'PL',
  });
  return email;
}

/** A guess list of `size` wrong passwords with the right one at `position` (1-based). */
function wordlist(size: number, position: number): string[] {
  const words = Array.from({ length: size }, (_, i) => `Guess-${String(i + 1).padStart(3, '0')}-Summer`);
  words[position - 1] = PASSWORD;
  return words;
}

/** A refusal by the named layer: 429, problem+json, Retry-After within the window, the layer named. */
function expectRefusedBy(answer: Answer, layer: string, window: number) {
  expect(answer.status, JSON.stringify(answer.body)).toBe(429);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.body.code).toBe('SHIELD_RATE_LIMITED');
  expect(answer.body['violated-policies']).toEqual([layer]);
  expect(String(answer.body.detail)).toContain(`(${layer} limit)`);
  const retryAfter = Number(answer.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(window);
  expect(answer.body).not.toHaveProperty('accessToken');
}

describe('scripted guessing through a trusted proxy, a new source address on every guess', () => {
  let test: TestApp;
  let base: string;
  beforeAll(async () => {
    test = await createTestApp({
      ...REDIS,
      BULWARK_TRUSTED_PROXIES: '127.0.0.1',
      BULWARK_RATE_LIMIT_ACCOUNT: `${ACCOUNT_BUDGET}/${ACCOUNT_WINDOW}`,
      BULWARK_RATE_LIMIT_IP: '15/60',
      BULWARK_RATE_LIMIT_ROUTE: '100/60',
    });
    await test.app.listen({ host: '127.0.0.1', port: 0 });
    base = baseUrl(test);
  });
  afterAll(() => test.close());

  // Guess i comes from its own address, and no /24 sees more than four: the per-address and per-network
  // budgets never come into play.
  const botnet = (i: number) => `100.${64 + (i % 64)}.${RUN}.${1 + Math.floor(i / 64)}`;

  it('200 guesses at one account: the budget is answered, every later guess is 429, the right one at 150 too', async () => {
    // The script works: with the right password within the budget it gets in.
    const control = await shopper(test, 'control');
    const controlAnswers = [];
    for (const [i, password] of wordlist(10, 3).entries()) {
      const answer = await logIn(base, control, password, `198.51.${RUN}.${1 + i}`);
      controlAnswers.push(answer.status);
      if (answer.status === 200) {
        expect(answer.body.accessToken).toEqual(expect.any(String));
        break;
      }
    }
    expect(controlAnswers).toEqual([401, 401, 200]);

    const victim = await shopper(test, 'victim');
    const guesses = wordlist(200, 150);
    const answers: Answer[] = [];
    for (const [i, password] of guesses.entries())
      answers.push(await logIn(base, victim, password, botnet(i)));

    const statuses = answers.map((a) => a.status);
    expect(statuses.slice(0, ACCOUNT_BUDGET)).toEqual(Array(ACCOUNT_BUDGET).fill(401));
    const after = answers.slice(ACCOUNT_BUDGET);
    const unexpected = after.map((a, i) => [i + ACCOUNT_BUDGET + 1, a.status]).filter(([, s]) => s !== 429);
    expect(unexpected, 'guesses after the budget that were not refused (position, status)').toEqual([]);
    for (const answer of after) expectRefusedBy(answer, 'account', ACCOUNT_WINDOW);
    // The right password arrived as guess 150, long after the cut-off: refused like the rest, so the
    // guesser cannot tell it from a wrong one.
    expect(guesses[149]).toBe(PASSWORD);
    expectRefusedBy(answers[149] as Answer, 'account', ACCOUNT_WINDOW);
    expect(statuses).not.toContain(200);

    // Nor does it work from yet another address afterwards, within the window.
    expectRefusedBy(await logIn(base, victim, PASSWORD, botnet(500)), 'account', ACCOUNT_WINDOW);
  });

  it('a spray of one password over 30 accounts from one address stops at the route and address budgets', async () => {
    // Random enough that a rerun within the minute never meets this address's buckets in a shared Redis.
    const network = `2001:db8:${randomInt(0x10000).toString(16)}:${randomInt(0x10000).toString(16)}`;
    const from = `${network}::7`;
    const real = new Set<number>([2, 9, 14, 21]);
    const emails = [];
    for (let i = 0; i < 30; i++)
      emails.push(real.has(i) ? await shopper(test, 'spray') : uniqueEmail('spray'));
    const answers = [];
    for (const email of emails) answers.push(await logIn(base, email, 'Summer-2024-Spray', from));
    // The login costs 10 of the address's 100 route points: 10 answered. The refused calls still spend the
    // address's 15 requests a minute, and after that every route refuses it.
    expect(answers.map((a) => a.status)).toEqual([...Array(10).fill(401), ...Array(20).fill(429)]);
    for (const answer of answers.slice(10, 15)) expectRefusedBy(answer, 'route', 60);
    for (const answer of answers.slice(15)) expectRefusedBy(answer, 'ip', 60);
    // The limits are the address's: another address is answered.
    expect((await logIn(base, uniqueEmail('spray'), 'Summer-2024-Spray', `${network}::8`)).status).toBe(401);
  });
});

/** Each request the server completed, from its own log: route, method and status. */
function completed(logs: readonly string[]): { method: string; route: string | undefined; status: number }[] {
  const started = new Map<string, { method: string; route: string | undefined }>();
  const done = [];
  for (const line of logs) {
    const entry = JSON.parse(line) as {
      msg?: string;
      reqId?: string;
      req?: { method: string; route?: string };
      res?: { statusCode: number };
    };
    if (entry.msg === 'incoming request' && entry.reqId && entry.req) {
      started.set(entry.reqId, { method: entry.req.method, route: entry.req.route });
    }
    if (entry.msg === 'request completed' && entry.reqId && entry.res) {
      const request = started.get(entry.reqId);
      if (request) done.push({ ...request, status: entry.res.statusCode });
    }
  }
  return done;
}

interface HydraRun {
  readonly code: number | null;
  readonly output: string;
  readonly found: string;
}

if (onPath('hydra')) {
  describe('hydra against the JSON login', () => {
    let test: TestApp;
    let base: string;
    let port: number;
    let dir: string;
    beforeAll(async () => {
      test = await createTestApp({
        ...REDIS,
        BULWARK_TRUSTED_PROXIES: '127.0.0.1',
        BULWARK_RATE_LIMIT_ACCOUNT: `${ACCOUNT_BUDGET}/${ACCOUNT_WINDOW}`,
      });
      await test.app.listen({ host: '127.0.0.1', port: 0 });
      base = baseUrl(test);
      port = (test.app.server.address() as AddressInfo).port;
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-hydra-'));
    });
    afterAll(async () => {
      await test.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    /**
     * hydra 9.4's http-post-form sends the form field verbatim as the body, so a JSON template works once
     * its colons are escaped; the Content-Type header option must come before the condition, which has to
     * be the last field in this version. S=accessToken: only a successful login's answer contains it.
     */
    function hydra(email: string, words: readonly string[], name: string): Promise<HydraRun> {
      const list = path.join(dir, `${name}.txt`);
      const found = path.join(dir, `${name}.found`);
      fs.writeFileSync(list, `${words.join('\n')}\n`);
      const form =
        '/v1/auth/token:{"email"\\:"^USER^","password"\\:"^PASS^"}' +
        ':H=Content-Type\\: application/json:S=accessToken';
      const args = ['-l', email, '-P', list, '-s', String(port), '-t', '4', '-I', '-f', '-o', found];
      return new Promise((resolve) => {
        execFile(
          'hydra',
          [...args, '127.0.0.1', 'http-post-form', form],
          // hydra writes its restore file into the working directory.
          { cwd: dir, timeout: 45_000, killSignal: 'SIGKILL' },
          (error, stdout, stderr) => {
            resolve({
              code: error ? ((error as { code?: number }).code ?? null) : 0,
              output: `${stdout}${stderr}`,
              found: fs.existsSync(found) ? fs.readFileSync(found, 'utf8') : '',
            });
          },
        );
      });
    }

    it('finds a password inside the budget (the attack is set up right)', async () => {
      const email = await shopper(test, 'hydractl');
      const run = await hydra(email, wordlist(3, 1), 'control');
      expect(run.output).toMatch(/1 of 1 target successfully completed, 1 valid password found/);
      expect(run.found).toContain(`password: ${PASSWORD}`);
    });

    it('does not find the password at position 30 of 40: the server answers 429 after the budget', async () => {
      const email = await shopper(test, 'hydra');
      const before = test.logs.length;
      const run = await hydra(email, wordlist(40, 30), 'attack');
      expect(run.code, run.output).toBe(0);
      expect(run.output).toMatch(/1 of 1 target completed, 0 valid password found/);
      expect(run.found).not.toContain('password:');
      expect(run.found).not.toContain(PASSWORD);

      // What the server saw: the account's budget of guesses answered 401, everything after refused.
      const logins = completed(test.logs.slice(before)).filter(
        (r) => r.method === 'POST' && r.route === '/v1/auth/token',
      );
      const counts = Object.fromEntries(
        [...new Set(logins.map((r) => r.status))].map((s) => [
          s,
          logins.filter((r) => r.status === s).length,
        ]),
      );
      const seen = `login answers by status: ${JSON.stringify(counts)}\n${run.output}`;
      expect(counts[401], seen).toBe(ACCOUNT_BUDGET);
      expect(logins.length, seen).toBe(ACCOUNT_BUDGET + (counts[429] ?? 0));
      // hydra 9.4 takes a 401 for HTTP authentication ("use module http-get"), and its child re-sends
      // that pair; it moves on only when an answer lacks accessToken otherwise. So each of the 40 words
      // ends with one 429 (the first five after their 401), about 45 logins in all.
      expect(counts[429], seen).toBeGreaterThanOrEqual(40 - ACCOUNT_BUDGET);
      expect(counts[429], seen).toBeLessThanOrEqual(40);
      // And the right password is still refused for that account, from any address, within the window.
      expectRefusedBy(await logIn(base, email, PASSWORD, `203.0.113.${RUN}`), 'account', ACCOUNT_WINDOW);
    });
  });
}
