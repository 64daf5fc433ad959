import type { Config } from '../../../config/index.ts';
import type { App } from '../../../platform/http/app-types.ts';
import { NoContent } from '../../../platform/http/schema-types.ts';
import { clientOf, sendLogin } from '../auth.routes.ts';
import { personOf } from '../authentication.hook.ts';
import { StepUpResponse, TokensResponse, WebLoginResponse } from '../identity.schemas.ts';
import type { Login } from '../login.service.ts';
import type { StepUp } from '../step-up.service.ts';
import {
  CreationOptions,
  MfaPasskeyBody,
  MfaTicketBody,
  PasskeyAssertionBody,
  PasskeyList,
  PasskeyParams,
  PasskeyView,
  RegisterPasskeyBody,
  RequestOptions,
} from './passkeys.schemas.ts';
import type { Passkeys } from './passkeys.service.ts';

export interface PasskeyRoutesDeps {
  readonly config: Config;
  readonly passkeys: Passkeys;
  readonly login: Login;
  readonly stepUp: StepUp;
}

/**
 * Passkeys: the caller's own (add, list, remove), passwordless login, the second step of a password login,
 * and step-up. Every verification answers `{challengeId, response}` to options from the matching route.
 */
export function registerPasskeyRoutes(app: App, deps: PasskeyRoutesDeps): void {
  const open = { access: { public: true } } as const;
  // A staff member's first login owes a second factor: these routes are how a passkey becomes one.
  const enrolment = { access: { principal: 'any', enrolment: true } } as const;
  const me = ['me'];
  const auth = ['auth'];

  app.post('/v1/me/passkeys/options', {
    config: enrolment,
    schema: {
      tags: me,
      summary: 'Start adding a passkey',
      description:
        'Needs a recent authentication (a fresh login, or POST /v1/auth/step-up). Pass `options` to navigator.credentials.create(), then send the result to POST /v1/me/passkeys within two minutes.',
      response: { 200: CreationOptions },
    },
    handler: async (request) => deps.passkeys.registrationOptions(personOf(request)),
  });

  app.post('/v1/me/passkeys', {
    config: enrolment,
    schema: {
      tags: me,
      summary: 'Add a passkey',
      description: 'Verifies the new credential against its challenge and this site, and stores it.',
      body: RegisterPasskeyBody,
      response: { 201: PasskeyView },
    },
    handler: async (request, reply) => {
      const added = await deps.passkeys.register(
        personOf(request),
        request.body,
        request.headers['user-agent'],
      );
      return reply.code(201).send(added);
    },
  });

  app.get('/v1/me/passkeys', {
    config: enrolment,
    schema: { tags: me, summary: 'Your passkeys', response: { 200: PasskeyList } },
    handler: async (request) => ({ items: await deps.passkeys.list(personOf(request).userId) }),
  });

  app.delete('/v1/me/passkeys/:id', {
    config: { access: { principal: 'any', stepUp: true } },
    schema: {
      tags: me,
      summary: 'Remove a passkey',
      description: 'Staff cannot remove their last second factor.',
      params: PasskeyParams,
      response: { 204: NoContent },
    },
    handler: async (request, reply) => {
      await deps.passkeys.remove(personOf(request), request.params.id);
      return reply.code(204).send();
    },
  });

  app.post('/v1/auth/passkey/options', {
    config: open,
    schema: {
      tags: auth,
      summary: 'Start a passwordless login with a passkey',
      description:
        'The browser offers the passkeys it holds for this site; the authenticator must verify the user (PIN, fingerprint, face).',
      response: { 200: RequestOptions },
    },
    handler: async () => deps.passkeys.loginOptions(),
  });

  for (const [url, mode, response] of [
    ['/v1/auth/passkey/token', 'token', TokensResponse],
    ['/v1/auth/passkey/login', 'web', WebLoginResponse],
  ] as const) {
    app.post(url, {
      config: open,
      schema: {
        tags: auth,
        summary: `Log in with a passkey (${mode === 'token' ? 'API tokens' : 'session cookie'})`,
        body: PasskeyAssertionBody,
        response: { 200: response },
      },
      handler: async (request, reply) => {
        const { userId } = await deps.passkeys.verifyLogin(request.body);
        const result = await deps.login.withPasskey(clientOf(request), userId, mode);
        return sendLogin(reply, result, deps.config) as never;
      },
    });
  }

  app.post('/v1/auth/mfa/passkey-options', {
    config: open,
    schema: {
      tags: auth,
      summary: 'Options for finishing a login with a passkey',
      description: 'Takes the `mfaTicket` of a 401 IDENTITY_MFA_REQUIRED answer; the ticket stays usable.',
      body: MfaTicketBody,
      response: { 200: RequestOptions },
    },
    handler: async (request) => deps.passkeys.secondFactorOptions(request.body.mfaTicket),
  });

  for (const [url, mode, response] of [
    ['/v1/auth/token/mfa/passkey', 'token', TokensResponse],
    ['/v1/auth/login/mfa/passkey', 'web', WebLoginResponse],
  ] as const) {
    app.post(url, {
      config: open,
      schema: {
        tags: auth,
        summary: `Finish a ${mode === 'token' ? 'token' : 'web'} login with a passkey`,
        body: MfaPasskeyBody,
        response: { 200: response },
      },
      handler: async (request, reply) => {
        const { mfaTicket, challengeId, response: assertion } = request.body;
        const result = await deps.login.withTicket(clientOf(request), mfaTicket, mode, async (userId) => {
          await deps.passkeys.verifySecondFactor(userId, { challengeId, response: assertion });
          return { method: 'passkey', methods: 'pwd+passkey' };
        });
        return sendLogin(reply, result, deps.config) as never;
      },
    });
  }

  app.post('/v1/auth/step-up/passkey/options', {
    config: enrolment,
    schema: {
      tags: auth,
      summary: 'Options for confirming it is you with a passkey',
      response: { 200: RequestOptions },
    },
    handler: async (request) => deps.passkeys.stepUpOptions(personOf(request)),
  });

  app.post('/v1/auth/step-up/passkey', {
    config: enrolment,
    schema: {
      tags: auth,
      summary: 'Confirm it is you with a passkey before a sensitive action',
      body: PasskeyAssertionBody,
      response: { 200: StepUpResponse },
    },
    handler: async (request) => {
      const principal = personOf(request);
      await deps.passkeys.verifyStepUp(principal, request.body);
      return deps.stepUp.opened(principal, 'passkey');
    },
  });
}
