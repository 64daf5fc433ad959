import net from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/index.ts';
import type { EventBus } from '../../platform/events.ts';
import type { App } from '../../platform/http/app-types.ts';
import { networkOf } from '../../platform/network.ts';
import { IdentityErrors } from '../identity/index.ts';
import { constantTimeEqual } from '../vault/index.ts';
import type { Containment } from './containment.service.ts';
import type { Metrics } from './metrics.ts';
import { WatchErrors } from './watch.errors.ts';

/**
 * The HTTP edge as detection sees it: refuses blocked networks first, then, once each answer is sent,
 * counts it (metrics) and announces what the rules read: objects refused to an authenticated caller,
 * rate-limit refusals, and which network each session is used from.
 */
export function installWatchHooks(
  app: App,
  deps: { events: EventBus; metrics: Metrics; containment: Pick<Containment, 'isBlocked'> },
): void {
  app.addHook('onRequest', async (request) => {
    if (await deps.containment.isBlocked(request.ip ?? 'unknown')) {
      throw WatchErrors.WATCH_NETWORK_BLOCKED('Requests from your network are blocked for a while.');
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    observe(request, reply, deps);
  });
}

function observe(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: { events: EventBus; metrics: Metrics },
): void {
  // The route template, never the raw URL: bounded labels, and no IDs in metrics.
  const route = request.routeOptions.url ?? 'unmatched';
  const status = reply.statusCode;
  deps.metrics.requests.inc({ method: request.method, route, status: String(status) });
  deps.metrics.latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  const network = networkOf(request.ip ?? 'unknown');
  const principal = request.principal;
  if (status === 429) {
    const layers = (request.rateLimitDecisions ?? []).filter((d) => !d.allowed).map((d) => d.layer);
    if (layers.length > 0) {
      const principalId = principal
        ? principal.kind === 'service'
          ? principal.keyId
          : principal.userId
        : null;
      deps.events.emit('http.rate_limited', { principalId, network, route, layers });
    }
  }
  if (!principal) return;
  const person = principal.kind === 'service' ? null : principal;
  if ((status === 403 || status === 404) && route.includes(':')) {
    const params = (request.params ?? {}) as Record<string, unknown>;
    const objectId = Object.values(params)
      .filter((v) => typeof v === 'string')
      .join('/');
    deps.events.emit('http.object_refused', {
      principalId: person ? person.userId : (principal as { keyId: string }).keyId,
      principalKind: principal.kind,
      sessionId: person ? person.sessionId : null,
      network,
      route,
      objectId: objectId.slice(0, 200),
      status,
    });
  }
  if (person)
    deps.events.emit('http.session_used', { sessionId: person.sessionId, userId: person.userId, network });
}

/**
 * Who may read /metrics: a bearer token (constant-time compare) or an address in the allow-list. With
 * neither configured, /metrics does not exist (404), so nothing is open by default.
 */
export function metricsGate(config: Config): (request: FastifyRequest) => 'open' | 'forbidden' | 'absent' {
  const allow = new net.BlockList();
  for (const entry of config.metricsAllow) {
    const [address = '', prefix] = entry.split('/');
    const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    allow.addSubnet(address, Number(prefix ?? (family === 'ipv6' ? 128 : 32)), family);
  }
  const token = config.metricsToken;
  return (request) => {
    if (!token && config.metricsAllow.length === 0) return 'absent';
    const header = request.headers.authorization;
    if (token && typeof header === 'string' && header.startsWith('Bearer ')) {
      if (constantTimeEqual(header.slice(7), token.reveal())) return 'open';
    }
    const ip = (request.ip ?? '').replace(/^::ffff:/, '');
    if (net.isIP(ip) && allow.check(ip, net.isIPv6(ip) ? 'ipv6' : 'ipv4')) return 'open';
    return 'forbidden';
  };
}

/**
 * After authentication: a principal or session this node has just decided to revoke or lock is refused
 * like a revoked token, before the containment is in the database (the gap a fast attacker would use).
 */
export function installStoppingCheck(
  app: App,
  watch: { isStopping(...ids: readonly string[]): boolean },
): void {
  app.addHook('onRequest', async (request) => {
    const principal = request.principal;
    if (!principal) return;
    const ids =
      principal.kind === 'service' ? [principal.keyId] : [principal.userId, principal.sessionId as string];
    if (watch.isStopping(...ids)) {
      throw IdentityErrors.IDENTITY_UNAUTHENTICATED('Log in, or send a valid bearer token.', {
        headers: { 'www-authenticate': 'Bearer realm="bulwark"' },
      });
    }
  });
}
