import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/index.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import type { App } from '../../platform/http/app-types.ts';
import { NoContent } from '../../platform/http/schema-types.ts';
import type { Accounts } from './accounts.service.ts';
import { personOf, SESSION_COOKIE } from './authentication.hook.ts';
import {
  CredentialsBody,
  MfaCodeBody,
  RefreshBody,
  RegisterBody,
  RegisterResponse,
  StepUpBody,
  StepUpResponse,
  TokensResponse,
  WebLoginResponse,
} from './identity.schemas.ts';
import type { Login, LoginResult } from './login.service.ts';
import type { Messenger } from './messenger.ts';
import type { Sessions } from './sessions.service.ts';
import type { StepUp } from './step-up.service.ts';

export interface AuthRoutesDeps {
  readonly db: AnyDb;
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  readonly login: Login;
  readonly stepUp: StepUp;
  readonly messenger: Messenger;
  readonly config: Config;
}

const REGISTERED = {
  status: 'accepted',
  message: 'Check your e-mail: if this address can be used, the account is ready and you can log in with it.',
} as const;

export const clientOf = (request: FastifyRequest) => ({
  ip: request.ip,
  userAgent: request.headers['user-agent'],
});

/** Sends a finished login the way its mode wants: tokens in the body, or an HttpOnly cookie. */
export function sendLogin(reply: FastifyReply, result: LoginResult, config: Config) {
  if (result.mode === 'token') return result.tokens;
  reply.setCookie(SESSION_COOKIE, result.session.sessionToken, {
    httpOnly: true,
    sameSite: 'strict',
    secure: config.secureCookies,
    path: '/',
    expires: result.session.expiresAt,
  });
  return { csrfToken: result.session.csrfToken, expiresAt: result.session.expiresAt };
}

export function registerAuthRoutes(app: App, deps: AuthRoutesDeps): void {
  const tags = ['auth'];
  const open = { access: { public: true } } as const;

  app.post('/v1/auth/register', {
    config: open,
    schema: {
      tags,
      summary: 'Sign up as a shopper',
      description:
        'Answers the same whether or not the e-mail address already has an account; a message goes to the address either way.',
      body: RegisterBody,
      response: { 201: RegisterResponse },
    },
    handler: async (request, reply) => {
      const { created, userId } = await deps.accounts.registerShopper(request.body);
      await deps.messenger.send(deps.db, created && userId ? { userId } : { address: request.body.email }, {
        template: created ? 'welcome' : 'account_exists',
      });
      return reply.code(201).send(REGISTERED);
    },
  });

  app.post('/v1/auth/token', {
    config: open,
    schema: {
      tags,
      summary: 'Log in for API tokens',
      description:
        'With a second factor enrolled, send `mfaCode` too, or answer 401 IDENTITY_MFA_REQUIRED with POST /v1/auth/token/mfa and its `mfaTicket`.',
      body: CredentialsBody,
      response: { 200: TokensResponse },
    },
    handler: async (request, reply) =>
      sendLogin(
        reply,
        await deps.login.withPassword(clientOf(request), request.body, 'token'),
        deps.config,
      ) as never,
  });

  app.post('/v1/auth/login', {
    config: open,
    schema: {
      tags,
      summary: 'Log in to the web app (session cookie)',
      body: CredentialsBody,
      response: { 200: WebLoginResponse },
    },
    handler: async (request, reply) =>
      sendLogin(
        reply,
        await deps.login.withPassword(clientOf(request), request.body, 'web'),
        deps.config,
      ) as never,
  });

  for (const [url, mode, response] of [
    ['/v1/auth/token/mfa', 'token', TokensResponse],
    ['/v1/auth/login/mfa', 'web', WebLoginResponse],
  ] as const) {
    app.post(url, {
      config: open,
      schema: {
        tags,
        summary: `Finish a ${mode === 'token' ? 'token' : 'web'} login with a second-factor code`,
        body: MfaCodeBody,
        response: { 200: response },
      },
      handler: async (request, reply) => {
        const client = clientOf(request);
        const result = await deps.login.withTicket(client, request.body.mfaTicket, mode, async (userId) => {
          const used = await deps.login.checkCode(userId, request.body.code, client);
          return { method: used, methods: `pwd+${used === 'totp' ? 'totp' : 'recovery'}` };
        });
        return sendLogin(reply, result, deps.config) as never;
      },
    });
  }

  app.post('/v1/auth/refresh', {
    config: open,
    schema: {
      tags,
      summary: 'Exchange a refresh token for new tokens',
      description: 'Each refresh token works once; presenting a used one ends the session it belongs to.',
      body: RefreshBody,
      response: { 200: TokensResponse },
    },
    handler: async (request) => deps.sessions.refresh(request.body.refreshToken),
  });

  app.post('/v1/auth/step-up', {
    config: { access: { principal: 'any', enrolment: true } },
    schema: {
      tags,
      summary: 'Confirm it is you before a sensitive action',
      description:
        'With a second factor enrolled, send `code` (or use a passkey); otherwise `password`. Sensitive actions are then allowed for a few minutes.',
      body: StepUpBody,
      response: { 200: StepUpResponse },
    },
    handler: async (request) => deps.stepUp.withSecret(personOf(request), clientOf(request), request.body),
  });

  app.post('/v1/auth/logout', {
    config: { access: { principal: 'any', enrolment: true } },
    schema: { tags, summary: 'End the current session (cookie or token)', response: { 204: NoContent } },
    handler: async (request, reply) => {
      const principal = personOf(request);
      await deps.sessions.revoke(principal, principal.sessionId);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send();
    },
  });
}
