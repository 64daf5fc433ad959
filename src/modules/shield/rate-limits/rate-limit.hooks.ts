import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Config, ConfigError, type RateLimitLayer } from '../../../config/index.ts';
import type { EventBus } from '../../../platform/events.ts';
import { DEFAULT_PAGE_SIZE } from '../../../platform/http/pagination.ts';
import { ShieldErrors } from '../shield.errors.ts';
import { type Buckets, createBuckets, type Decision } from './buckets.ts';
import { addressKey, networkKey } from './client-keys.ts';
import { rateLimitFields, secondsLeft } from './rate-limit-headers.ts';
import { ROUTE_COSTS } from './route-costs.ts';

/** How a route is limited, settled when it registers. */
export interface RouteRateLimit {
  /** `METHOD url`: the route's bucket name. */
  readonly id: string;
  readonly cost: number;
  readonly perAccount: boolean;
  /** A paged listing: each call also spends the rows it asks for from the caller's listing budget. */
  readonly listing: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Points one call spends from the principal and route budgets; the shield's table or 1 otherwise. */
    rateCost?: number;
    /** Set by the shield at registration; routes do not write it. */
    rateLimit?: RouteRateLimit;
  }
  interface FastifyRequest {
    /** Every layer's decision on this request so far, for the RateLimit header fields. */
    rateLimitDecisions: Decision[] | null;
  }
}

export interface RateLimitDeps {
  readonly config: Config;
  readonly events: EventBus;
  /** The e-mail's blind index (identity's accounts): the per-account key, never the address itself. */
  readonly emailIndex: (email: string) => string;
  /** Buckets to use instead of making them from the configuration (benchmarks). */
  readonly buckets?: Buckets;
}

export interface RateLimitInstallation {
  readonly buckets: Buckets;
  /** Installs the per-principal and per-route layers: call right after authentication is installed. */
  installAfterAuthentication(): void;
}

// How long start-up waits for Redis before reporting the limits degraded and serving anyway.
const CONNECT_WAIT_MS = 3_000;

/**
 * The shield's layered limits (DESIGN §3, steps 3 and 5):
 * 1. before authentication, per client address and per network (/24, /64), then a global ceiling;
 * 2. after authentication, per principal and per route and caller, both weighted by the route's cost;
 * 3. on login, reset and sign-up, per target account (the e-mail's blind index), once the body is read.
 * Install before authentication; then call `installAfterAuthentication()` after it.
 */
export function installRateLimits(app: FastifyInstance, deps: RateLimitDeps): RateLimitInstallation {
  const limits = deps.config.rateLimits;
  const buckets =
    deps.buckets ??
    createBuckets({ limits, redisUrl: deps.config.redisUrl, events: deps.events, log: app.log });
  let afterAuthentication = false;
  app.decorateRequest('rateLimitDecisions', null);

  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat().map(String);
    const url = route.url ?? route.path ?? '';
    const listed = methods.map((method) => ROUTE_COSTS[`${method} ${url}`]).find(Boolean);
    const config = (route.config ?? {}) as { rateCost?: number };
    const cost = config.rateCost ?? listed?.cost ?? 1;
    const id = `${methods[0]} ${url}`;
    if (!Number.isInteger(cost) || cost < 1) throw new Error(`route ${id} declares a rateCost below 1`);
    for (const layer of ['route', 'principal'] as const) {
      if (cost > limits[layer].points) {
        throw new ConfigError(
          `BULWARK_RATE_LIMIT_${layer.toUpperCase()}`,
          `must allow one call of ${id}, which costs ${cost} points`,
        );
      }
    }
    const rateLimit: RouteRateLimit = {
      id,
      cost,
      perAccount: listed?.perAccount === true,
      listing: methods.includes('GET') && takesPageSize(route.schema?.querystring),
    };
    route.config = { ...config, rateLimit } as typeof route.config;
  });

  // Before authentication: a flood is refused before any session look-up or body parsing.
  app.addHook('onRequest', async (request) => {
    const ip = request.ip ?? 'unknown';
    const own = await Promise.all([
      buckets.consume('ip', addressKey(ip), 1),
      buckets.consume('network', networkKey(ip), 1),
    ]);
    request.rateLimitDecisions = own;
    refuseIfSpent(own);
    // The ceiling counts only what the caller's own budgets let through, so one flooding address
    // cannot spend everyone's share.
    const ceiling = await buckets.consume('global', 'all', 1);
    own.push(ceiling);
    refuseIfSpent([ceiling]);
  });

  app.addHook('preHandler', async (request) => {
    const rate = request.routeOptions.config.rateLimit;
    if (rate?.listing) await spendRows(request);
    if (!rate?.perAccount) return;
    const email = (request.body as { email?: unknown } | undefined)?.email;
    if (typeof email !== 'string') return;
    // Guesses at one account from a thousand addresses (a botnet, or proxies as in the Trello and
    // Authy scrapes) all spend this one budget. Unknown addresses are limited exactly like known ones.
    const account = await buckets.consume('account', deps.emailIndex(email), 1);
    record(request, [account]);
    refuseIfSpent([account]);
  });

  // A scraper walks every page of a listing with the largest page size; a person reads a few. Counting
  // rows, not requests, bounds what one principal can take however it pages (Dell's partner-portal
  // scrape took 49 million records at 5,000 requests a minute).
  const spendRows = async (request: FastifyRequest) => {
    const asked = (request.query as { limit?: unknown } | undefined)?.limit;
    const rows = typeof asked === 'number' && asked > 0 ? asked : DEFAULT_PAGE_SIZE;
    const listing = await buckets.consume(
      'listing',
      callerKey(request),
      Math.min(rows, limits.listing.points),
    );
    record(request, [listing]);
    refuseIfSpent([listing]);
  };

  app.addHook('onSend', async (request, reply, payload) => {
    const fields = rateLimitFields(request.rateLimitDecisions ?? []);
    if (fields) {
      reply.header('ratelimit-policy', fields.policy);
      reply.header('ratelimit', fields.limit);
    }
    return payload;
  });

  app.addHook('onReady', async () => {
    if (!afterAuthentication) throw new Error('the per-principal rate limits were never installed');
    await buckets.connected(CONNECT_WAIT_MS);
  });
  app.addHook('onClose', async () => {
    if (!deps.buckets) await buckets.close();
  });

  return {
    buckets,
    installAfterAuthentication() {
      afterAuthentication = true;
      app.addHook('onRequest', async (request) => {
        const rate = request.routeOptions.config.rateLimit;
        // The not-found handler has no route: the address layers above already counted the request.
        if (!rate) return;
        const caller = callerKey(request);
        const spent = await Promise.all([
          buckets.consume('route', `${rate.id} ${caller}`, rate.cost),
          ...(caller.startsWith('a:') ? [] : [buckets.consume('principal', caller, rate.cost)]),
        ]);
        record(request, spent);
        refuseIfSpent(spent);
      });
    },
  };
}

/** Whether a querystring schema has a page size (`limit`): the mark of a paged listing. */
function takesPageSize(schema: unknown): boolean {
  const properties = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return properties !== undefined && 'limit' in properties;
}

/** The authenticated person or service key; an anonymous caller is its address. */
function callerKey(request: FastifyRequest): string {
  const principal = request.principal;
  if (principal?.kind === 'service') return `k:${principal.keyId}`;
  if (principal) return `u:${principal.userId}`;
  return `a:${addressKey(request.ip ?? 'unknown')}`;
}

function record(request: FastifyRequest, decisions: readonly Decision[]): void {
  request.rateLimitDecisions = [...(request.rateLimitDecisions ?? []), ...decisions];
}

function refuseIfSpent(decisions: readonly Decision[]): void {
  const refused = decisions.filter((d) => !d.allowed);
  if (refused.length === 0) return;
  const retryAfter = Math.max(...refused.map(secondsLeft));
  const policies: RateLimitLayer[] = refused.map((d) => d.layer);
  throw ShieldErrors.SHIELD_RATE_LIMITED(
    `Too many requests (${policies.join(', ')} limit): try again in ${retryAfter} seconds.`,
    {
      headers: { 'retry-after': String(retryAfter) },
      // The member draft-ietf-httpapi-ratelimit-headers-11 §5 gives its problem types.
      extensions: { 'violated-policies': policies },
    },
  );
}
