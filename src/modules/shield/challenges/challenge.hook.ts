import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EventBus } from '../../../platform/events.ts';
import { isPublic } from '../../../platform/http/access.ts';
import { networkKey } from '../rate-limits/client-keys.ts';
import { ShieldErrors } from '../shield.errors.ts';
import { CHALLENGE_HEADER, type ChallengeVerifier } from './proof-of-work.ts';
import type { Suspects } from './suspects.ts';

/**
 * Before a suspect source reaches a costly public route (sign-up, login, reset, passkey login: what
 * credential stuffing and sign-up bots call), it must answer a challenge. Everyone else never sees one.
 * Install after the pre-authentication rate limits, so a flood is refused before it costs a look-up.
 */
export function installChallenges(
  app: FastifyInstance,
  deps: { suspects: Suspects; verifier: ChallengeVerifier; events: EventBus },
): void {
  app.addHook('onRequest', async (request) => {
    if (!challengeable(request)) return;
    const ip = request.ip ?? 'unknown';
    if (!(await deps.suspects.isSuspect(ip))) return;
    const route = request.routeOptions.config.rateLimit?.id ?? request.url;
    const answer = request.headers[CHALLENGE_HEADER];
    if (typeof answer === 'string' && (await deps.verifier.verify(ip, answer))) {
      deps.events.emit('shield.challenge_passed', { network: networkKey(ip), route });
      return;
    }
    const offer = deps.verifier.offer(ip);
    if (answer === undefined) {
      deps.events.emit('shield.challenge_required', { network: networkKey(ip), route });
      throw ShieldErrors.SHIELD_CHALLENGE_REQUIRED(
        'Requests from your network look automated: solve the challenge and send the answer in the Bulwark-Challenge header.',
        { extensions: { challenge: offer } },
      );
    }
    deps.events.emit('shield.challenge_failed', { network: networkKey(ip), route });
    throw ShieldErrors.SHIELD_CHALLENGE_FAILED(
      'The Bulwark-Challenge answer is wrong, expired, made for another address, or already used: solve this new challenge.',
      { extensions: { challenge: offer } },
    );
  });
}

/** Public routes that cost more than a plain read: the ones automation aims at. */
function challengeable(request: FastifyRequest): boolean {
  const config = request.routeOptions.config;
  return isPublic(config.access) && (config.rateLimit?.cost ?? 1) > 1;
}
