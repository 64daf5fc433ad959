import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyServerOptions } from 'fastify';
import type { Container } from './container.ts';
import { registerDrillHistory, registerDrillSchedule } from './modules/drill/index.ts';
import {
  installChallenges,
  installCors,
  installFreezes,
  installRateLimits,
  installSecurityHeaders,
  registerFreezeRoutes,
  registerPiiExportRoutes,
} from './modules/shield/index.ts';
import { installTrailRecorder, registerTrailRoutes } from './modules/trail/index.ts';
import { registerJwksRoute } from './modules/vault/index.ts';
import { installWatch, installWatchAfterAuthentication, registerWatch } from './modules/watch/index.ts';
import { registerAppShell } from './modules/web/index.ts';
import { pendingMigrations } from './platform/db/index.ts';
import { enforceAccessDeclarations } from './platform/http/access.ts';
import type { App } from './platform/http/app-types.ts';
import { installErrorHandling } from './platform/http/error-handler.ts';
import { ProblemSchema } from './platform/http/problem-schema.ts';
import { installRequestLimits } from './platform/http/request-limits.ts';
import { validatorCompiler } from './platform/http/validation.ts';
import { newId } from './platform/ids.ts';
import { loggerOptions } from './platform/logger.ts';
import { type TlsMaterial, tlsServerOptions } from './platform/tls.ts';

const DOCS_PREFIX = '/docs';

/** Builds the HTTP application: the pipeline of DESIGN §3, then each module's routes. */
export interface ServerOptions {
  readonly logger?: FastifyServerOptions['logger'];
  /** Where log lines go instead of standard output (tests capture them to prove no PII is logged). */
  readonly logStream?: NodeJS.WritableStream;
  /** Serve HTTPS with this certificate and key (TLS 1.2+, modern suites) and send HSTS. */
  readonly tls?: TlsMaterial | null;
}

export async function buildServer(container: Container, options: ServerOptions = {}) {
  const { config } = container;
  const app = Fastify({
    logger: options.logger ?? loggerOptions(config, options.logStream),
    // Slowloris: the header block has a deadline, checked every second rather than Node's default 30.
    http: { headersTimeout: config.headersTimeoutMs, connectionsCheckingInterval: 1_000 },
    ...(options.tls
      ? {
          https: {
            ...tlsServerOptions(options.tls),
            headersTimeout: config.headersTimeoutMs,
            connectionsCheckingInterval: 1_000,
          },
        }
      : {}),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustedProxies.length > 0 ? [...config.trustedProxies] : false,
    genReqId: () => newId('request'),
    return503OnClosing: true,
    // Reject slow or idle clients instead of holding sockets for them.
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 5_000,
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider() as unknown as App;

  app.setValidatorCompiler(validatorCompiler);
  installErrorHandling(app);
  app.addSchema(ProblemSchema);
  installSecurityHeaders(app, { docsPrefix: DOCS_PREFIX, hsts: Boolean(options.tls) });
  enforceAccessDeclarations(app, [DOCS_PREFIX]);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // A blocked network is refused before anything else runs; every answer is counted and observed.
  installWatch(app, container.watch);
  // Authentication events, staff calls and personal data sent out are recorded before answers leave.
  installTrailRecorder(app, {
    trail: container.trail,
    credentials: {
      bearer: (token) => container.identity.sessions.authenticateBearer(token),
      cookie: async (token) =>
        (await container.identity.sessions.authenticateCookie(token))?.principal ?? null,
    },
  });
  // Pre-auth limits come before authentication's hook; per-principal ones right after it (DESIGN §3).
  const rateLimits = installRateLimits(app, {
    config,
    events: container.events,
    emailIndex: (email) => container.identity.accounts.emailIndex(email),
  });
  installChallenges(app, {
    suspects: container.suspects,
    verifier: container.challenges,
    events: container.events,
  });
  installRequestLimits(app, { maxDepth: 32, maxNodes: 10_000, routeTimeLimitMs: config.routeTimeLimitMs });
  // The kill switch: frozen routes answer 503 before any handler runs.
  installFreezes(app, container.freezes);
  await app.register(cookie);
  await installCors(app, config.corsOrigins);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Bulwark API',
        version: '1',
        description:
          'The shopping-agent API that cannot leak its users. Errors are RFC 9457 problem details.',
      },
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'Access token from POST /v1/auth/token',
          },
          cookieAuth: {
            type: 'apiKey',
            in: 'cookie',
            name: 'bw_session',
            description: 'Web session; unsafe methods need X-CSRF-Token',
          },
        },
      },
      security: [{ bearerAuth: [] }, { cookieAuth: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX, staticCSP: true });
  container.identity.installAuthentication(app);
  rateLimits.installAfterAuthentication();
  installWatchAfterAuthentication(app, container.watch);

  registerOperationalRoutes(app, container);
  registerJwksRoute(app, container.signer);
  container.identity.registerRoutes(app);
  container.notify.registerRoutes(app);
  container.commerce.registerRoutes(app);
  registerPiiExportRoutes(app, container.piiExports);
  registerAppShell(app, { https: Boolean(options.tls) });
  registerTrailRoutes(app, container.trail);
  registerWatch(app, container.watch);
  container.respond.registerRoutes(app);
  registerFreezeRoutes(app, container.freezes);
  registerDrillHistory(app, { db: container.database.db, clock: container.clock });
  registerDrillSchedule(app, container.drillSchedule);
  return app;
}

function registerOperationalRoutes(app: App, container: Container): void {
  const access = { public: true } as const;
  app.get('/healthz', {
    config: { access },
    schema: {
      tags: ['operations'],
      summary: 'The process is alive',
      response: { 200: { type: 'object', properties: { status: { type: 'string' } } } },
    },
    handler: async () => ({ status: 'ok' }),
  });
  app.get('/readyz', {
    config: { access },
    schema: { tags: ['operations'], summary: 'The database is reachable and migrated' },
    handler: async (request, reply) => {
      try {
        const pending = await pendingMigrations(container.database.db);
        if (pending.length > 0) return reply.code(503).send({ status: 'migrations pending' });
        return { status: 'ready' };
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed');
        return reply.code(503).send({ status: 'database unreachable' });
      }
    },
  });
  app.get('/openapi.json', {
    config: { access },
    schema: { hide: true },
    handler: async () => app.swagger(),
  });
}
