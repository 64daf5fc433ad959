import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyRequest } from 'fastify';
import { networkOf } from '../../platform/network.ts';
import type { Principal } from '../identity/index.ts';
import type { ActorKind, TrailActor } from './entry-codec.ts';

/**
 * The request a piece of work runs for, so deep calls (the vault's reveal hook) can record the request ID,
 * session and source network without every signature carrying them. Entered once per request.
 */
const store = new AsyncLocalStorage<FastifyRequest>();

export function runInRequest(request: FastifyRequest, next: () => void): void {
  store.run(request, next);
}

export function currentRequest(): FastifyRequest | undefined {
  return store.getStore();
}

/** The actor of a principal, with the request's session and source network when there is a request. */
export function actorOfPrincipal(principal: Principal | null, request?: FastifyRequest): TrailActor {
  const network = request ? networkOf(request.ip) : null;
  if (!principal) return { kind: 'anonymous', id: null, role: null, session: null, network };
  if (principal.kind === 'system') {
    return {
      kind: 'system',
      id: systemId(`system:${principal.purpose}`),
      role: 'system',
      session: null,
      network,
    };
  }
  if (principal.kind === 'service') {
    return { kind: 'service', id: principal.keyId, role: 'service', session: null, network };
  }
  return {
    kind: principal.kind,
    id: principal.userId,
    role: principal.kind === 'staff' ? principal.role : 'shopper',
    session: principal.sessionId,
    network,
  };
}

/** The actor as the vault names it (an ID and a role), completed from the current request. */
export function actorOfVaultActor(actor: { id: string; role: string }): TrailActor {
  const request = currentRequest();
  const principal = request?.principal ?? null;
  const kind: ActorKind =
    actor.role === 'system'
      ? 'system'
      : actor.role === 'service'
        ? 'service'
        : actor.role === 'shopper'
          ? 'shopper'
          : 'staff';
  const session = principal && principal.kind !== 'service' ? principal.sessionId : null;
  return {
    kind,
    id: kind === 'system' ? systemId(actor.id) : actor.id,
    role: actor.role,
    session,
    network: request ? networkOf(request.ip) : null,
  };
}

/** Bulwark's own principal, named by its purpose, as a token (spaces and the like become hyphens). */
function systemId(id: string): string {
  return id.replace(/[^A-Za-z0-9_.:/-]/g, '-').slice(0, 200);
}
