import { Secret, TOTP } from 'otpauth';
import { type DrillShopper, signUpShopper } from '../drill-client.ts';
import { createReferee } from '../referee.ts';
import { blank, type Scenario } from '../scenario.ts';

/** Source networks the attack comes from (documentation ranges), a few addresses in each. */
const NETWORKS = ['203.0.113', '198.51.100', '192.0.2'];
const GUESSES_ON_ONE_ACCOUNT = 12;

/**
 * 23andMe 2023, PandaBuy 2024: leaked e-mail/password pairs tried across many accounts from many
 * addresses (sent as X-Forwarded-For: the instance must trust the proxy in front of it). Passes when one
 * account's guesses are bounded, the attacking networks are challenged or blocked before the list is
 * done, detection raises an alert, and a second factor holds even with the right password.
 */
export const stuffing: Scenario = {
  id: 'stuffing',
  title: 'Leaked e-mail/password pairs from many source addresses',
  async run(context) {
    const victims: DrillShopper[] = [];
    for (let i = 0; i < Math.min(context.victims, 12); i += 1)
      victims.push(await signUpShopper(context, 'stuffed'));
    const from = (network: string, host: number) => ({ 'x-forwarded-for': `${network}.${10 + host}` });
    const login = (email: string, password: string, network: string, host: number) =>
      context.anonymous.request('POST', '/v1/auth/token', { email, password }, from(network, host));

    // One account, many guesses: the account's own bound.
    const target = victims[0] as DrillShopper;
    let boundAt: number | null = null;
    for (let i = 0; i < GUESSES_ON_ONE_ACCOUNT; i += 1) {
      const answer = await login(target.email, `Leaked-${i}-old-password`, NETWORKS[i % 3] as string, i);
      if (answer.status === 429) {
        boundAt = i + 1;
        break;
      }
    }

    // The list: every victim with an old password, from every network, until the networks are stopped.
    const started = Date.now();
    let containMs: number | null = null;
    let tried = 0;
    for (const network of NETWORKS) {
      for (const [index, victim] of victims.slice(1).entries()) {
        const answer = await login(victim.email, `Leaked-${index}-reused-elsewhere`, network, index);
        tried += 1;
        if (
          (answer.status === 403 || answer.status === 429) &&
          containMs === null &&
          /SHIELD_CHALLENGE|WATCH_NETWORK_BLOCKED/.test(answer.text)
        ) {
          containMs = Date.now() - started;
        }
      }
    }
    // The leak's real pairs (people who reused a password) come last: by then the networks must be stopped.
    let entered = 0;
    for (const network of NETWORKS) {
      const victim = victims[victims.length - 1] as DrillShopper;
      const answer = await login(victim.email, victim.password, network, 99);
      if (answer.status === 200) entered += 1;
    }

    // A second factor holds even with the right password, from a network not yet suspected.
    const guarded = victims[1] as DrillShopper;
    const setup = await guarded.client.post('/v1/me/mfa/totp');
    const secret = (setup.body as { secret?: string } | null)?.secret;
    let mfaHeld = false;
    if (secret) {
      const code = new TOTP({ secret: Secret.fromBase32(secret) }).generate();
      await guarded.client.post('/v1/me/mfa/totp/confirm', { code });
      const answer = await login(guarded.email, guarded.password, '100.64.7', 7);
      mfaHeld = answer.status === 401 && !answer.text.includes('accessToken');
    }

    const detectMs = context.refereeToken
      ? await createReferee(context.anonymous.as(context.refereeToken)).alertAboutNetwork(
          `${NETWORKS[0]}.0/24`,
          started,
        )
      : null;
    const failures = [
      boundAt === null && `${GUESSES_ON_ONE_ACCOUNT} guesses on one account were never throttled`,
      containMs === null && `the attacking networks were never challenged or blocked (${tried} tries)`,
      context.refereeToken !== null && detectMs === null && 'no alert',
      entered > 0 && `${entered} account(s) entered with reused passwords`,
      !mfaHeld && 'the right password alone entered an account with a second factor',
    ].filter((f): f is string => typeof f === 'string');
    return {
      ...blank(this.id),
      obtained: entered + (mfaHeld ? 0 : 1),
      detectMs,
      containMs,
      pass: failures.length === 0,
      reason:
        failures.join('; ') ||
        `one account throttled after ${boundAt} guesses; networks challenged after ${((containMs ?? 0) / 1000).toFixed(1)} s; reused passwords stopped; MFA held`,
    };
  },
};
