import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointFile } from '../../src/modules/trail/index.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { engine } from '../helpers/test-database.ts';
import { record } from './helpers.ts';

/*
 * Signed checkpoints every N entries or T seconds, into the database, a file in the data directory and a
 * webhook, each verifiable with the vault's checkpoint key.
 */
describe(`trail checkpoints (${engine})`, () => {
  let test: TestApp;
  let server: http.Server;
  const received: { status: number; body: Record<string, unknown> }[] = [];
  let answer = 204;

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      let text = '';
      request.on('data', (chunk) => {
        text += chunk;
      });
      request.on('end', () => {
        received.push({ status: answer, body: JSON.parse(text) });
        response.writeHead(answer).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    test = await createTestApp({
      BULWARK_TRAIL_CHECKPOINT_EVERY: '5',
      BULWARK_TRAIL_CHECKPOINT_SECONDS: '1',
      BULWARK_TRAIL_WEBHOOK_URL: `http://127.0.0.1:${port}/checkpoints`,
    });
  });
  afterAll(async () => {
    await test.close();
    server.close();
  });

  const waitFor = async (check: () => Promise<boolean> | boolean) => {
    for (let i = 0; i < 100 && !(await check()); i += 1) await new Promise((r) => setTimeout(r, 50));
    expect(await check()).toBe(true);
  };
  const checkpoints = () =>
    test.container.database.db.selectFrom('trailCheckpoints').selectAll().orderBy('seq').execute() as Promise<
      { seq: number; headHash: string; jws: string }[]
    >;

  it('every N entries: signed, in the database, the file and the webhook, all saying the same', async () => {
    for (let i = 1; i <= 5; i += 1) await test.container.trail.append(record(i));
    await waitFor(async () => (await checkpoints()).length === 1 && received.length === 1);
    const [row] = await checkpoints();
    const head = await test.container.database.db
      .selectFrom('trailEntries')
      .select(['seq', 'hash'])
      .where('seq', '=', 5)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ seq: 5, headHash: head.hash });
    const payload = await test.container.trail.signer.verify(row?.jws as string);
    expect(payload).toMatchObject({ seq: 5, headHash: head.hash, count: 5 });
    const [line] = fs.readFileSync(checkpointFile(test.config.dataDir), 'utf8').trim().split('\n');
    expect(JSON.parse(line as string)).toMatchObject({
      seq: 5,
      jws: row?.jws,
      publicKey: { kty: 'OKP', crv: 'Ed25519' },
    });
    expect(received[0]?.body).toMatchObject({ kind: 'bulwark-trail-checkpoint', seq: 5, jws: row?.jws });
    expect(fs.statSync(checkpointFile(test.config.dataDir)).mode & 0o777).toBe(0o600);
  });

  it('every T seconds while entries keep coming; a refusing webhook raises an event', async () => {
    const failures: unknown[] = [];
    test.container.events.on('trail.checkpoint_sink_failed', (event) => failures.push(event));
    answer = 503;
    await test.container.trail.append(record(6));
    test.container.trail.startCheckpoints();
    await waitFor(async () => (await checkpoints()).some((c) => c.seq === 6));
    await waitFor(() => failures.length > 0);
    expect(failures[0]).toMatchObject({ sink: 'webhook', seq: 6, reason: 'HTTP_503' });
    await test.container.trail.stop();
    const report = await test.container.trail.verify();
    expect(report).toMatchObject({ ok: true, checkpoints: { trusted: 2, fromFile: 2 } });
  });
});
