import { signUpShopper } from '../drill-client.ts';
import { createReferee } from '../referee.ts';
import { blank, type Scenario } from '../scenario.ts';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** IDs an attacker would try: the victim's own with one character changed, and fresh ones of each kind. */
function guesses(known: string, count: number): string[] {
  const [prefix, body = ''] = known.split('_');
  const found: string[] = [];
  for (let i = 0; found.length < count; i += 1) {
    const at = body.length - 1 - (i % body.length);
    const next =
      ALPHABET[(ALPHABET.indexOf(body[at] ?? '0') + 1 + Math.floor(i / body.length)) % ALPHABET.length];
    found.push(`${prefix}_${body.slice(0, at)}${next}${body.slice(at + 1)}`);
  }
  return found;
}

const randomId = (prefix: string) =>
  `${prefix}_${Array.from({ length: 26 }, () => ALPHABET[Math.floor(Math.random() * 32)]).join('')}`;

/**
 * Optus 2022, PandaBuy 2024: object IDs walked with no login and as another customer. Passes when no
 * foreign record comes back and the walker is stopped (its session ended or account locked).
 */
export const enumerate: Scenario = {
  id: 'enumerate',
  title: 'Walking user, address, order, parcel and photo IDs',
  async run(context) {
    const result = blank(this.id);
    const victim = await signUpShopper(context, 'victim');
    const line1 = `ul. Drillowa ${Date.now().toString(36)}`;
    context.plant(line1);
    const address = await victim.client.post('/v1/me/addresses', {
      recipientName: victim.fullName,
      phone: victim.phone,
      line1,
      city: 'Warszawa',
      postalCode: '00-950',
      country: 'PL',
    });
    const addressId = (address.body as { id?: string } | null)?.id ?? randomId('adr');
    const secrets = [victim.email, victim.phone, victim.fullName];
    const leaked = (text: string) => secrets.some((secret) => text.includes(secret));

    const paths = [
      `/v1/me/addresses/${addressId}`,
      ...guesses(addressId, 3).map((id) => `/v1/me/addresses/${id}`),
      `/v1/staff/customers/${victim.userId}`,
      ...guesses(victim.userId, 2).map((id) => `/v1/staff/customers/${id}`),
      ...Array.from({ length: 6 }, () => `/v1/orders/${randomId('ord')}`),
      ...Array.from({ length: 6 }, () => `/v1/parcels/${randomId('pcl')}`),
      ...Array.from({ length: 4 }, () => `/v1/orders/${randomId('ord')}/photos/${randomId('pho')}`),
    ];
    let obtained = 0;
    for (const path of paths) {
      const answer = await context.anonymous.get(path);
      if (answer.status === 200 && leaked(answer.text)) obtained += 1;
    }

    const walker = await signUpShopper(context, 'walker');
    const started = Date.now();
    let containMs: number | null = null;
    for (const path of paths) {
      const answer = await walker.client.get(path);
      if (answer.status === 200 && leaked(answer.text)) obtained += 1;
      if (answer.status === 401) {
        containMs = Date.now() - started;
        break;
      }
    }
    const detectMs = context.refereeToken
      ? await createReferee(context.anonymous.as(context.refereeToken)).alertAbout(walker.userId, started)
      : null;
    const failures = [
      obtained > 0 && `${obtained} foreign records came back`,
      containMs === null && `the walker was never stopped (${paths.length} tries)`,
      context.refereeToken !== null && detectMs === null && 'no alert',
    ].filter((f): f is string => typeof f === 'string');
    return {
      ...result,
      obtained,
      detectMs,
      containMs,
      pass: failures.length === 0,
      reason: failures.join('; ') || 'no foreign record; the walker was stopped',
    };
  },
};
