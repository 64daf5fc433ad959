import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config/index.ts';
import type { App } from '../../platform/http/app-types.ts';
import { NoContent } from '../../platform/http/schema-types.ts';
import type { UserId } from '../../platform/ids.ts';
import type { Accounts } from './accounts.service.ts';
import { SESSION_COOKIE } from './authentication.hook.ts';
import { IdentityErrors } from './identity.errors.ts';
import {
  CredentialsBody,
  RefreshBody,
  RegisterBody,
  RegisterResponse,
  TokensResponse,
  WebLoginResponse,
} from './identity.schemas.ts';
import type { Sessions } from './sessions.service.ts';

export interface AuthRoutesDeps {
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  readonly config: Config;
}

const REGISTERED = {
  status: 'accepted',
  message: 'If this e-mail address can be used, the account is ready: log in with it.',
} as const;

export function registerAuthRoutes(app: App, deps: AuthRoutesDeps): void {
  const tags = ['auth'];
  const client = (request: FastifyRequest) => ({ ip: request.ip, userAgent: request.headers['user-agent'] });

  /** Verifies the credentials and writes the attempt to the account's login history. */
  async function authenticate(request: FastifyRequest, body: { email: string; password: string }) {
    const { user, ok } = await deps.accounts.verifyCredentials(body.email, body.password);
    if (user) await deps.sessions.recordLogin(user.id as UserId, ok, request.ip);
    if (!ok || !user) throw IdentityErrors.IDENTITY_INVALID_CREDENTIALS('The e-mail or password is wrong.');
    return user.id as UserId;
  }

  app.post('/v1/auth/register', {
    config: { access: { public: true } },
    schema: {
      tags,
      summary: 'Sign up as a shopper',
      description: 'Answers the same whether or not the e-mail address already has an account.',
      body: RegisterBody,
      response: { 201: RegisterResponse },
    },
    handler: async (request, reply) => {
      await deps.accounts.registerShopper(request.body);
      return reply.code(201).send(REGISTERED);
    },
  });

  app.post('/v1/auth/token', {
    config: { access: { public: true } },
    schema: {
      tags,
      summary: 'Log in for API tokens',
      body: CredentialsBody,
      response: { 200: TokensResponse },
    },
    handler: async (request) =>
      deps.sessions.issueApiTokens(await authenticate(request, request.body), client(request)),
  });

  app.post('/v1/auth/refresh', {
    config: { access: { public: true } },
    schema: {
      tags,
      summary: 'Exchange a refresh token for new tokens',
      body: RefreshBody,
      response: { 200: TokensResponse },
    },
    handler: async (request) => deps.sessions.refresh(request.body.refreshToken),
  });

  app.post('/v1/auth/login', {
    config: { access: { public: true } },
    schema: {
      tags,
      summary: 'Log in to the web app (session cookie)',
      body: CredentialsBody,
      response: { 200: WebLoginResponse },
    },
    handler: async (request, reply) => {
      const userId = await authenticate(request, request.body);
      const session = await deps.sessions.createWebSession(userId, client(request));
      reply.setCookie(SESSION_COOKIE, session.sessionToken, {
        httpOnly: true,
        sameSite: 'strict',
        secure: deps.config.secureCookies,
        path: '/',
        expires: session.expiresAt,
      });
      return { csrfToken: session.csrfToken, expiresAt: session.expiresAt };
    },
  });

  app.post('/v1/auth/logout', {
    config: { access: { principal: 'any' } },
    schema: { tags, summary: 'End the current session (cookie or token)', response: { 204: NoContent } },
    handler: async (request, reply) => {
      const principal = request.principal;
      if (principal) await deps.sessions.revoke(principal, principal.sessionId);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send();
    },
  });
}
