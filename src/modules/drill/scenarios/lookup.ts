import type { Answer, DrillClient } from '../drill-client.ts';
import { signUpShopper } from '../drill-client.ts';
import { blank, type Scenario } from '../scenario.ts';

/** An answer as an outsider can compare it: status, problem code and the shape of the body. */
function shape(answer: Answer): string {
  const body = answer.body as Record<string, unknown> | null;
  const keys =
    body && typeof body === 'object'
      ? Object.keys(body)
          .filter((k) => k !== 'requestId')
          .sort()
      : [];
  return `${answer.status} ${String(body?.code ?? '')} ${keys.join(',')}`;
}

/** The public flows that take an e-mail address, each asked about a known and an unknown one. */
const PROBES: readonly { name: string; ask: (anonymous: DrillClient, email: string) => Promise<Answer> }[] = [
  {
    name: 'sign-up',
    ask: (anonymous, email) =>
      anonymous.post('/v1/auth/register', {
        email,
        password: `Lookup-${Date.now()}-horse-battery`,
        fullName: 'Lookup Probe',
        country: 'PL',
      }),
  },
  {
    name: 'login',
    ask: (anonymous, email) => anonymous.post('/v1/auth/token', { email, password: 'Wrong-pass-1234567' }),
  },
  {
    name: 'web login',
    ask: (anonymous, email) => anonymous.post('/v1/auth/login', { email, password: 'Wrong-pass-1234567' }),
  },
  { name: 'reset', ask: (anonymous, email) => anonymous.post('/v1/auth/password-reset', { email }) },
];

/**
 * Trello 2024, Authy 2024: asking the public flows whether an e-mail address has an account. Passes
 * when every flow answers a registered and an unregistered address alike.
 */
export const lookup: Scenario = {
  id: 'lookup',
  title: 'Probing which e-mail addresses are registered',
  async run(context) {
    const known = await signUpShopper(context, 'known');
    const unknown = `drill-nobody-${Date.now().toString(36)}@example.test`;
    const revealing: string[] = [];
    for (const probe of PROBES) {
      const forKnown = shape(await probe.ask(context.anonymous, known.email));
      const forUnknown = shape(await probe.ask(context.anonymous, unknown));
      if (forKnown !== forUnknown) revealing.push(`${probe.name} (${forKnown} vs ${forUnknown})`);
    }
    return {
      ...blank(this.id),
      obtained: revealing.length,
      pass: revealing.length === 0,
      reason:
        revealing.length > 0
          ? `tells registered addresses apart: ${revealing.join('; ')}`
          : `${PROBES.length} flows answer known and unknown addresses alike`,
    };
  },
};
