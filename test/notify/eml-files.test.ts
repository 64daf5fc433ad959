import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailDirectory } from '../../src/modules/notify/index.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

/*
 * Development without BULWARK_SMTP_URL: every e-mail is written whole as an .eml file in the data
 * directory (nothing leaves the machine), and the outbox records it as sent.
 */
describe('outbox in development: .eml files', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await createTestApp({ NODE_ENV: 'development', BULWARK_SEED_DEMO: 'false' });
    test.container.notify.startDelivery();
  });
  afterAll(() => test?.close());

  it('writes each message as a complete RFC 5322 file named by its outbox ID, readable only by its owner', async () => {
    const email = `nobody-${Date.now()}@example.test`;
    const answer = await test.anonymous.post('/v1/auth/password-reset', { email });
    expect(answer.statusCode, answer.body).toBe(202);
    await test.container.notify.deliverDue();
    const directory = mailDirectory(test.config.dataDir);
    const files = fs.readdirSync(directory);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^msg_[0-9a-z]{26}\.eml$/);
    const file = path.join(directory, files[0] as string);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const raw = fs.readFileSync(file, 'utf8');
    expect(raw).toMatch(new RegExp(`^To: ${email}$`, 'm'));
    expect(raw).toMatch(/^Subject: Bulwark password reset request$/m);
    expect(raw).toContain(`Message-ID: <${files[0]?.replace('.eml', '')}@localhost>`);
    expect(await test.container.notify.outboxCounts()).toMatchObject({ sent: 1, pending: 0 });
  });
});
