import { newId } from '../../../platform/ids.ts';
import { type DrillClient, signUpShopper } from '../drill-client.ts';
import { blank, type Scenario } from '../scenario.ts';

/** Fields a shopper must never set on themselves or their records. */
const FORBIDDEN: readonly Record<string, unknown>[] = [
  { role: 'admin' },
  { kind: 'staff' },
  { status: 'active' },
  { emailVerified: true },
  { verified: true },
  { balance: 1_000_000 },
  { balanceCents: 100_000_000 },
  { id: 'usr_00000000000000000000000000' },
  { userId: 'usr_00000000000000000000000000' },
  { ownerId: 'usr_00000000000000000000000000' },
  { permissions: ['staff:manage'] },
  { mustResetPassword: false },
];

/**
 * Mass assignment (Trello-style APIs that bind whatever JSON they get): every forbidden field on the
 * writable routes a shopper has. Passes when every such request is refused and nothing changed.
 */
export const massAssignment: Scenario = {
  id: 'mass-assignment',
  title: 'Setting role, status, owner, balance and verified flags',
  async run(context) {
    const shopper = await signUpShopper(context, 'assigner');
    const before = (await shopper.client.get('/v1/me')).text;
    const walletBefore = (await shopper.client.get('/v1/wallet')).text;
    const address = {
      recipientName: shopper.fullName,
      phone: shopper.phone,
      line1: 'ul. Drill 1',
      city: 'Warszawa',
      postalCode: '00-950',
      country: 'PL',
    };
    const accepted: string[] = [];
    for (const extra of FORBIDDEN) {
      const name = Object.keys(extra)[0] as string;
      const patched = await shopper.client.patch('/v1/me', { fullName: shopper.fullName, ...extra });
      if (patched.status < 300) accepted.push(`PATCH /v1/me ${name}`);
      const added = await shopper.client.post('/v1/me/addresses', { ...address, ...extra });
      if (added.status < 300) accepted.push(`POST /v1/me/addresses ${name}`);
    }
    // Every other operation a shopper may call that takes a body, from the API's own description.
    const operations = await writableOperations(context.anonymous);
    const bundle = Object.assign({}, ...FORBIDDEN) as Record<string, unknown>;
    for (const operation of operations) {
      const answer = await shopper.client.request(operation.method, operation.path, bundle, {
        'idempotency-key': newId('request'),
      });
      if (answer.status < 300) accepted.push(`${operation.method} ${operation.path}`);
    }
    const after = (await shopper.client.get('/v1/me')).text;
    const walletAfter = (await shopper.client.get('/v1/wallet')).text;
    const changed = before !== after || walletBefore !== walletAfter;
    const failures = [
      accepted.length > 0 && `accepted: ${accepted.slice(0, 5).join(', ')}${accepted.length > 5 ? ' …' : ''}`,
      changed && 'the account or wallet changed',
    ].filter((f): f is string => typeof f === 'string');
    return {
      ...blank(this.id),
      obtained: accepted.length,
      pass: failures.length === 0,
      reason:
        failures.join('; ') ||
        `all ${FORBIDDEN.length * 2} refused on the profile and address book, and on ${operations.length} more operations; nothing changed`,
    };
  },
};

/** Areas a shopper's token may write to, as the OpenAPI document lists them (staff and sign-in aside). */
const SHOPPER_AREAS = /^\/v1\/(me|orders|parcels|wallet|links)(\/|$)/;

/**
 * The shopper-writable operations the instance describes at /openapi.json, with well-formed IDs in their
 * paths (objects that do not exist: a body the route binds would show before its 404).
 */
async function writableOperations(anonymous: DrillClient): Promise<{ method: string; path: string }[]> {
  const answer = await anonymous.get('/openapi.json');
  const paths = (answer.body as { paths?: Record<string, Record<string, { parameters?: unknown[] }>> } | null)
    ?.paths;
  if (!paths) return [];
  const found: { method: string; path: string }[] = [];
  for (const [template, operations] of Object.entries(paths)) {
    if (!SHOPPER_AREAS.test(template)) continue;
    for (const [method, operation] of Object.entries(operations)) {
      if (!['post', 'put', 'patch'].includes(method)) continue;
      const parameters = (operation.parameters ?? []) as {
        in: string;
        name: string;
        schema?: { pattern?: string };
      }[];
      let path = template;
      for (const parameter of parameters.filter((p) => p.in === 'path')) {
        const prefix = /^\^([a-z]+)_/.exec(parameter.schema?.pattern ?? '')?.[1];
        if (!prefix) continue;
        path = path.replace(`{${parameter.name}}`, `${prefix}_${'0'.repeat(26)}`);
      }
      if (!path.includes('{')) found.push({ method: method.toUpperCase(), path });
    }
  }
  return found;
}
