import { signUpShopper } from '../drill-client.ts';
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
      reason: failures.join('; ') || `all ${FORBIDDEN.length * 2} refused; nothing changed`,
    };
  },
};
