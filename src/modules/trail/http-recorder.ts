import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CallerPrincipal, Principal } from '../identity/index.ts';
import type { TrailRecord } from './entry-codec.ts';
import type { TrailAction } from './trail.actions.ts';
import type { Trail } from './trail.service.ts';
import { actorOfPrincipal, runInRequest } from './trail-context.ts';

/** Reads who a freshly issued credential belongs to (a login's answer), through identity's public face. */
export interface CredentialReader {
  bearer(accessToken: string): Promise<Principal | null>;
  cookie(sessionToken: string): Promise<Principal | null>;
}

interface RouteRule {
  readonly ok: TrailAction;
  readonly failed: TrailAction;
  /** The answer carries a new credential: its owner is the subject (and the actor, from then on). */
  readonly issues?: true;
  /** What the successful call changed and why, added to the purpose (roles and reasons, never personal data). */
  readonly change?: (answer: Record<string, unknown>, body: unknown) => string | null;
}

/** A role change: `from -> to: reason`, from the answer and the request's reason. */
function roleChange(answer: Record<string, unknown>, body: unknown): string | null {
  const { previousRole, role } = answer;
  if (typeof previousRole !== 'string' || typeof role !== 'string') return null;
  const reason = (body as { reason?: unknown } | null)?.reason;
  return `${previousRole} -> ${role}${typeof reason === 'string' ? `: ${reason.slice(0, 300)}` : ''}`;
}

// Authentication, key and export routes, by `METHOD url`; every other call by staff or a service key is
// recorded as a staff action, and personal data sent to a signed-in person as `pii.returned`.
const RULES: Readonly<Record<string, RouteRule>> = {
  'POST /v1/auth/register': { ok: 'auth.registered', failed: 'auth.registered' },
  'POST /v1/auth/token': { ok: 'auth.login_succeeded', failed: 'auth.login_failed', issues: true },
  'POST /v1/auth/login': { ok: 'auth.login_succeeded', failed: 'auth.login_failed', issues: true },
  'POST /v1/auth/token/mfa': {
    ok: 'auth.second_factor_succeeded',
    failed: 'auth.second_factor_failed',
    issues: true,
  },
  'POST /v1/auth/login/mfa': {
    ok: 'auth.second_factor_succeeded',
    failed: 'auth.second_factor_failed',
    issues: true,
  },
  'POST /v1/auth/passkey/token': { ok: 'auth.login_succeeded', failed: 'auth.login_failed', issues: true },
  'POST /v1/auth/passkey/login': { ok: 'auth.login_succeeded', failed: 'auth.login_failed', issues: true },
  'POST /v1/auth/refresh': { ok: 'auth.refresh_succeeded', failed: 'auth.refresh_failed', issues: true },
  'POST /v1/auth/logout': { ok: 'auth.logged_out', failed: 'auth.logged_out' },
  'POST /v1/auth/step-up': { ok: 'auth.step_up_succeeded', failed: 'auth.step_up_failed' },
  'POST /v1/auth/step-up/passkey': { ok: 'auth.step_up_succeeded', failed: 'auth.step_up_failed' },
  'POST /v1/auth/password-reset': {
    ok: 'auth.password_reset_requested',
    failed: 'auth.password_reset_requested',
  },
  'POST /v1/auth/password-reset/confirm': {
    ok: 'auth.password_reset_completed',
    failed: 'auth.password_reset_completed',
  },
  'POST /v1/auth/not-me': { ok: 'auth.not_me_reported', failed: 'auth.not_me_reported' },
  'POST /v1/auth/email-change/confirm': {
    ok: 'auth.email_change_requested',
    failed: 'auth.email_change_requested',
  },
  'POST /v1/me/email': { ok: 'auth.email_change_requested', failed: 'auth.email_change_requested' },
  'POST /v1/me/password': { ok: 'auth.password_changed', failed: 'auth.password_changed' },
  'DELETE /v1/me/sessions/:id': { ok: 'auth.session_revoked', failed: 'auth.session_revoked' },
  'POST /v1/me/sessions/revoke-others': { ok: 'auth.sessions_revoked', failed: 'auth.sessions_revoked' },
  'POST /v1/me/mfa/totp': { ok: 'auth.factor_changed', failed: 'auth.factor_changed' },
  'POST /v1/me/mfa/totp/confirm': { ok: 'auth.factor_changed', failed: 'auth.factor_changed' },
  'DELETE /v1/me/mfa/totp': { ok: 'auth.factor_changed', failed: 'auth.factor_changed' },
  'POST /v1/me/mfa/recovery-codes': { ok: 'auth.factor_changed', failed: 'auth.factor_changed' },
  'POST /v1/me/passkeys': { ok: 'auth.factor_changed', failed: 'auth.factor_changed' },
  'DELETE /v1/me/passkeys/:id': { ok: 'auth.factor_changed', failed: 'auth.factor_changed' },
  'POST /v1/admin/api-keys': { ok: 'api_key.created', failed: 'staff.action_refused' },
  'DELETE /v1/admin/api-keys/:id': { ok: 'api_key.revoked', failed: 'staff.action_refused' },
  'PUT /v1/admin/staff/:id/role': { ok: 'role.changed', failed: 'staff.action_refused', change: roleChange },
  'POST /v1/staff/exports': { ok: 'export.requested', failed: 'staff.action_refused' },
  'POST /v1/staff/exports/:id/approve': { ok: 'export.approved', failed: 'staff.action_refused' },
  'GET /v1/staff/exports/:id/download': { ok: 'export.downloaded', failed: 'staff.action_refused' },
};

/** Keys whose values are a person's data when an answer goes to that person (the owner's own views). */
const PERSONAL_KEYS = new Set([
  'email',
  'fullName',
  'phone',
  'recipientName',
  'line1',
  'line2',
  'city',
  'region',
  'postalCode',
  'ip',
  'note',
  'options',
]);
const MAX_WALK = 20_000;

/**
 * Records at the HTTP edge what no single service sees whole: every authentication event (with its
 * outcome and error code), every call made by staff or a service key, and personal data sent to a
 * signed-in person. Written in `onSend`, before the answer leaves: if the trail cannot be written the
 * caller gets a 500 instead of an unrecorded answer. Also enters each request's context, so the
 * vault's reveal hook knows the request ID, session and network.
 */
export function installTrailRecorder(
  app: FastifyInstance,
  deps: { trail: Trail; credentials: CredentialReader },
): void {
  // A request whose entry could not be written answers 500; that answer passes onSend again and must
  // not try (and fail) a second time.
  const failed = new WeakSet<FastifyRequest>();
  app.addHook('onRequest', (request, _reply, done) => runInRequest(request, done));
  app.addHook('onSend', async (request, reply, payload) => {
    if (failed.has(request)) return payload;
    const records = await recordsFor(request, reply, payload, deps.credentials);
    if (records.length > 0) {
      try {
        await deps.trail.append(records);
      } catch (error) {
        failed.add(request);
        throw error;
      }
    }
    return payload;
  });
}

async function recordsFor(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  credentials: CredentialReader,
): Promise<TrailRecord[]> {
  const url = request.routeOptions.url;
  if (!url) return [];
  const key = `${request.method} ${url}`;
  const status = reply.statusCode;
  const success = status < 400;
  const principal = (request.principal ?? null) as CallerPrincipal | null;
  const text =
    typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : null;
  const code = success ? null : problemCode(text);
  const base = {
    requestId: request.id,
    target: targetOf(request) ?? (success ? createdOf(request, text) : null),
  };
  const rule = RULES[key];
  if (rule) {
    let actor: Principal | null = principal;
    if (success && rule.issues) actor = (await issuedTo(reply, text, credentials)) ?? actor;
    const action: TrailAction =
      code === 'IDENTITY_REFRESH_TOKEN_REUSED' ? 'auth.refresh_reused' : success ? rule.ok : rule.failed;
    const records: TrailRecord[] = [
      {
        ...base,
        actor: actorOfPrincipal(actor, request),
        action,
        subjects:
          actor && actor.kind !== 'service' && actor.kind !== 'system' ? [actor.userId] : subjectsOf(request),
        purpose: code
          ? `${key} ${code}`
          : withChange(key, success ? rule.change : undefined, text, request.body),
        result: success ? 'success' : status === 401 || status === 403 ? 'denied' : 'failure',
      },
    ];
    if (success && rule.issues && action !== 'auth.refresh_succeeded' && actor && actor.kind !== 'service') {
      records.push({
        ...base,
        actor: actorOfPrincipal(actor, request),
        action: 'auth.session_created',
        result: 'success',
        purpose: key,
      });
    }
    return records;
  }
  // Refused by the access layer (403): the principal was never set on the request, so read who it was.
  const caller = principal ?? (status === 403 ? await presentedBy(request, credentials) : null);
  if (!caller) return [];
  if (caller.kind === 'shopper' && !success && status === 403) {
    return [
      {
        ...base,
        actor: actorOfPrincipal(caller, request),
        action: 'auth.access_refused',
        purpose: code ? `${key} ${code}` : key,
        result: 'denied',
      },
    ];
  }
  if (caller.kind === 'staff' || caller.kind === 'service') {
    return [
      {
        ...base,
        actor: actorOfPrincipal(caller, request),
        action: success ? 'staff.action_performed' : 'staff.action_refused',
        subjects: subjectsOf(request),
        purpose: code ? `${key} ${code}` : key,
        result: success ? 'success' : status === 401 || status === 403 ? 'denied' : 'failure',
      },
    ];
  }
  if (principal && principal.kind === 'shopper' && success && text) {
    const fields = personalKeys(text);
    if (fields.length > 0) {
      return [
        {
          ...base,
          actor: actorOfPrincipal(principal, request),
          action: 'pii.returned',
          subjects: [principal.userId],
          fields,
          purpose: key,
          result: 'success',
        },
      ];
    }
  }
  return [];
}

/** Who presented the request's credentials (bearer token or session cookie), when they are valid. */
async function presentedBy(
  request: FastifyRequest,
  credentials: CredentialReader,
): Promise<Principal | null> {
  const header = request.headers.authorization;
  if (typeof header === 'string' && header.startsWith('Bearer ')) {
    return credentials.bearer(header.slice('Bearer '.length)).catch(() => null);
  }
  const cookie = /(?:^|;\s*)bw_session=([^;]+)/.exec(String(request.headers.cookie ?? ''))?.[1];
  return cookie ? credentials.cookie(cookie).catch(() => null) : null;
}

/** The person a login, second factor or refresh just issued a credential to. */
async function issuedTo(reply: FastifyReply, text: string | null, credentials: CredentialReader) {
  try {
    const body = text ? (JSON.parse(text) as { accessToken?: unknown }) : {};
    if (typeof body.accessToken === 'string') return await credentials.bearer(body.accessToken);
    const cookies = [reply.getHeader('set-cookie') ?? []].flat().map(String);
    for (const cookie of cookies) {
      const match = /^bw_session=([^;]+)/.exec(cookie);
      if (match?.[1]) return await credentials.cookie(match[1]);
    }
  } catch {
    // Not JSON: nothing to read.
  }
  return null;
}

function problemCode(text: string | null): string | null {
  if (!text) return null;
  try {
    const code = (JSON.parse(text) as { code?: unknown }).code;
    return typeof code === 'string' && /^[A-Z0-9_]{1,80}$/.test(code) ? code : null;
  } catch {
    return null;
  }
}

/** `/v1/staff/customers/:id/reveal` → customers usr_…; routes without an ID have no target. */
function targetOf(request: FastifyRequest): { type: string; id: string } | null {
  const id = (request.params as Record<string, unknown> | undefined)?.id;
  if (typeof id !== 'string' || !/^[A-Za-z0-9_]{1,100}$/.test(id)) return null;
  const parts = (request.routeOptions.url ?? '').split('/');
  const type = parts[parts.indexOf(':id') - 1] ?? 'resource';
  return { type: /^[a-z-]{1,40}$/.test(type) ? type : 'resource', id };
}

function withChange(key: string, change: RouteRule['change'], text: string | null, body: unknown): string {
  if (!change || !text) return key;
  try {
    const described = change(JSON.parse(text) as Record<string, unknown>, body);
    return described ? `${key} ${described}` : key;
  } catch {
    return key;
  }
}

/** What a POST to a collection made: `{type: the collection, id}` from the answer's `id`. */
function createdOf(request: FastifyRequest, text: string | null): { type: string; id: string } | null {
  if (request.method !== 'POST' || !text) return null;
  try {
    const id = (JSON.parse(text) as { id?: unknown }).id;
    const type = (request.routeOptions.url ?? '').split('/').at(-1) ?? '';
    if (typeof id !== 'string' || !/^[A-Za-z0-9_]{1,100}$/.test(id) || !/^[a-z-]{1,40}$/.test(type))
      return null;
    return { type, id };
  } catch {
    return null;
  }
}

/** The customers a staff route names in its path (`/v1/staff/customers/:id…`). */
function subjectsOf(request: FastifyRequest): string[] {
  const target = targetOf(request);
  return target && target.type === 'customers' ? [target.id] : [];
}

/** Names of personal-data keys holding a value anywhere in a JSON answer (never the values). */
function personalKeys(text: string): string[] {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return [];
  }
  const found = new Set<string>();
  const stack: unknown[] = [root];
  let visited = 0;
  while (stack.length > 0 && visited < MAX_WALK) {
    const node = stack.pop();
    visited += 1;
    if (Array.isArray(node)) stack.push(...node);
    else if (node && typeof node === 'object') {
      for (const [name, value] of Object.entries(node)) {
        if (PERSONAL_KEYS.has(name) && typeof value === 'string' && value !== '') found.add(name);
        else if (value && typeof value === 'object') stack.push(value);
      }
    }
  }
  return [...found].sort();
}
