import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { AlertView } from '../../src/modules/watch/index.ts';
import type { StaffMember, TestApp } from '../helpers/test-app.ts';

/** A request from a chosen client address (the edge reads the socket's address: no proxy is trusted). */
export function from(
  test: TestApp,
  ip: string,
  method: InjectOptions['method'],
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return test.app.inject({
    method,
    url,
    remoteAddress: ip,
    headers,
    ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
  });
}

/** Every alert, as security staff read them through the API (all pages). */
export async function alertsSeen(test: TestApp, security: StaffMember): Promise<AlertView[]> {
  await test.container.watch.settled();
  const all: AlertView[] = [];
  let cursor: string | null = null;
  do {
    const answer = await security.client.get(
      `/v1/security/alerts?limit=20${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(answer.statusCode, answer.body).toBe(200);
    const page = answer.json() as { items: AlertView[]; nextCursor: string | null };
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

export async function alertOf(test: TestApp, security: StaffMember, rule: string): Promise<AlertView> {
  const found = (await alertsSeen(test, security)).find((alert) => alert.rule === rule);
  if (!found) throw new Error(`no ${rule} alert`);
  return found;
}

export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
