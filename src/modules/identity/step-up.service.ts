import type { Config } from '../../config/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { UserId } from '../../platform/ids.ts';
import type { Accounts } from './accounts.service.ts';
import { IdentityErrors } from './identity.errors.ts';
import type { Login } from './login.service.ts';
import type { PersonPrincipal } from './principal.ts';
import type { SecondFactors } from './second-factors.ts';
import type { ClientInfo, Sessions } from './sessions.service.ts';
import { THROTTLE_POLICIES, type Throttle } from './throttle.ts';

/**
 * Step-up: the holder of a session proves again that they are its owner. With a second factor enrolled
 * only a second factor counts (a stolen password alone must not unlock sensitive actions); without one,
 * the password. Success opens the step-up window on this session only.
 */
export function createStepUp(deps: {
  config: Config;
  clock: Clock;
  accounts: Accounts;
  sessions: Sessions;
  factors: SecondFactors;
  login: Login;
  throttle: Throttle;
}) {
  const passwordKey = (userId: UserId) => ({
    key: `step-up:${userId}`,
    policy: THROTTLE_POLICIES.secondFactor,
  });

  async function opened(principal: PersonPrincipal, methods?: string) {
    const authenticatedAt = await deps.sessions.reauthenticated(principal.sessionId, methods);
    return {
      authenticatedAt,
      validUntil: new Date(authenticatedAt.getTime() + deps.config.stepUpSeconds * 1000),
    };
  }

  return {
    opened,

    async withSecret(
      principal: PersonPrincipal,
      client: ClientInfo,
      proof: { password?: string; code?: string },
    ) {
      if (await deps.factors.hasAny(principal.userId)) {
        if (!proof.code) {
          throw IdentityErrors.IDENTITY_INVALID_MFA_CODE(
            'Give a code from your authenticator app, a recovery code, or use a passkey.',
            {
              errors: [
                { field: 'body.code', message: 'is required because this account has a second factor' },
              ],
            },
          );
        }
        const used = await deps.login.checkCode(principal.userId, proof.code, client);
        // A proved second factor also lifts an enrolment-only session (a factor added from elsewhere).
        return opened(principal, used === 'totp' ? 'pwd+totp' : 'pwd+recovery');
      }
      if (!proof.password) {
        throw IdentityErrors.IDENTITY_INVALID_CREDENTIALS('Give your password.', {
          errors: [{ field: 'body.password', message: 'is required' }],
        });
      }
      await deps.throttle.check([passwordKey(principal.userId)]);
      if (!(await deps.accounts.passwordMatches(principal.userId, proof.password))) {
        await deps.throttle.fail([passwordKey(principal.userId)]);
        throw IdentityErrors.IDENTITY_INVALID_CREDENTIALS('The password is wrong.', {
          errors: [{ field: 'body.password', message: 'is not your password' }],
        });
      }
      return opened(principal);
    },
  };
}

export type StepUp = ReturnType<typeof createStepUp>;
