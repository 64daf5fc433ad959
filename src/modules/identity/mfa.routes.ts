import type { Config } from '../../config/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import { withTransaction } from '../../platform/db/index.ts';
import type { App } from '../../platform/http/app-types.ts';
import { NoContent } from '../../platform/http/schema-types.ts';
import type { Accounts } from './accounts.service.ts';
import { personOf, requireRecentAuthentication } from './authentication.hook.ts';
import { IdentityErrors } from './identity.errors.ts';
import { FactorStatus, RecoveryCodes, TotpCodeBody, TotpSetup } from './identity.schemas.ts';
import type { IdentityDb } from './identity.tables.ts';
import type { Messenger, SecurityChange } from './messenger.ts';
import type { PersonPrincipal } from './principal.ts';
import type { SecondFactors } from './second-factors.ts';
import type { Sessions } from './sessions.service.ts';
import { lockUser } from './users.repository.ts';

export interface MfaRoutesDeps {
  readonly db: AnyDb;
  readonly config: Config;
  readonly clock: Clock;
  readonly accounts: Accounts;
  readonly factors: SecondFactors;
  readonly sessions: Sessions;
  readonly messenger: Messenger;
}

/** The account's second factors. Changing them is sensitive (step-up) once one exists. */
export function registerMfaRoutes(app: App, deps: MfaRoutesDeps): void {
  const tags = ['me'];
  const enrolment = { principal: 'any', enrolment: true } as const;
  const notify = (principal: PersonPrincipal, change: SecurityChange) =>
    deps.messenger.send(
      deps.db,
      { userId: principal.userId },
      { template: 'security_change', change, at: deps.clock.now() },
    );

  app.get('/v1/me/mfa', {
    config: { access: enrolment },
    schema: { tags, summary: 'Your second factors', response: { 200: FactorStatus } },
    handler: async (request) => deps.factors.status(personOf(request).userId),
  });

  app.post('/v1/me/mfa/totp', {
    config: { access: enrolment },
    schema: {
      tags,
      summary: 'Start setting up an authenticator app',
      description: 'Returns the secret once; it counts after POST /v1/me/mfa/totp/confirm with a first code.',
      response: { 200: TotpSetup },
    },
    handler: async (request) => {
      const principal = personOf(request);
      // Adding a factor to an account that has one is a change to how it is protected: step-up.
      if (await deps.factors.hasAny(principal.userId)) requireRecentAuthentication(principal, deps);
      const email = (await deps.accounts.addressOf(deps.db, principal.userId)) ?? principal.userId;
      return deps.factors.beginTotp(principal.userId, email);
    },
  });

  app.post('/v1/me/mfa/totp/confirm', {
    config: { access: enrolment },
    schema: {
      tags,
      summary: 'Confirm the authenticator app with a first code',
      description: 'Returns ten single-use recovery codes, once. Keep them somewhere safe.',
      body: TotpCodeBody,
      response: { 200: RecoveryCodes },
    },
    handler: async (request) => {
      const principal = personOf(request);
      const recoveryCodes = await deps.factors.confirmTotp(principal.userId, request.body.code);
      await deps.sessions.reauthenticated(principal.sessionId, 'pwd+totp');
      await notify(principal, 'totp_enabled');
      return { recoveryCodes };
    },
  });

  app.delete('/v1/me/mfa/totp', {
    config: { access: { principal: 'any', stepUp: true } },
    schema: { tags, summary: 'Remove the authenticator app', response: { 204: NoContent } },
    handler: async (request, reply) => {
      const principal = personOf(request);
      await withTransaction(deps.db, async (trx) => {
        await lockUser(trx as IdentityDb, principal.userId);
        // Read under the lock: a concurrent removal of the last passkey waits for this one.
        const status = await deps.factors.status(principal.userId, trx);
        if (!status.totp) throw IdentityErrors.IDENTITY_MFA_NOT_ENROLLED('No authenticator app is set up.');
        if (principal.kind === 'staff' && status.passkeys === 0) {
          throw IdentityErrors.IDENTITY_LAST_FACTOR(
            'Staff accounts must keep a second factor: add a passkey first.',
          );
        }
        await deps.factors.removeTotp(trx, principal.userId);
      });
      await notify(principal, 'totp_disabled');
      return reply.code(204).send();
    },
  });

  app.post('/v1/me/mfa/recovery-codes', {
    config: { access: { principal: 'any', stepUp: true } },
    schema: {
      tags,
      summary: 'Replace your recovery codes',
      description: 'The old codes stop working.',
      response: { 200: RecoveryCodes },
    },
    handler: async (request) => {
      const principal = personOf(request);
      if (!(await deps.factors.status(principal.userId)).totp) {
        throw IdentityErrors.IDENTITY_MFA_NOT_ENROLLED(
          'Recovery codes come with an authenticator app: set one up first.',
        );
      }
      const recoveryCodes = await deps.factors.regenerateRecoveryCodes(principal.userId);
      await notify(principal, 'recovery_codes_regenerated');
      return { recoveryCodes };
    },
  });
}
