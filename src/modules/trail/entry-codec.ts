import { sha256Base64url } from '../vault/index.ts';
import { TRAIL_ACTIONS, type TrailAction } from './trail.actions.ts';

/** The hash before the first entry: 32 zero bytes, base64url. */
export const GENESIS_HASH = 'A'.repeat(43);

export type ActorKind = 'staff' | 'shopper' | 'service' | 'system' | 'anonymous';
export type TrailResult = 'success' | 'failure' | 'denied';

/** Who acted: IDs, a role and a coarse network only (a /24 or /48, never the address). */
export interface TrailActor {
  readonly kind: ActorKind;
  readonly id: string | null;
  readonly role: string | null;
  readonly session: string | null;
  readonly network: string | null;
}

/** What the caller records. Values never: subjects are IDs, fields are names. */
export interface TrailRecord {
  readonly actor: TrailActor;
  readonly action: TrailAction;
  readonly target?: { readonly type: string; readonly id: string } | null;
  /** The people whose data was touched (user IDs). */
  readonly subjects?: readonly string[];
  /** Names of the fields read, returned or changed. */
  readonly fields?: readonly string[];
  /** Why, in staff's words (a reveal's reason), or the rule or command that acted. */
  readonly purpose?: string | null;
  readonly result: TrailResult;
  readonly requestId?: string | null;
}

/** An entry as stored and returned by searches. */
export interface TrailEntry {
  readonly seq: number;
  readonly at: Date;
  readonly actor: TrailActor;
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string } | null;
  readonly subjects: string[];
  readonly fields: string[];
  readonly purpose: string | null;
  readonly result: string;
  readonly requestId: string | null;
  readonly prevHash: string;
  readonly hash: string;
}

// IDs, roles, field names, networks and request IDs: short tokens, never free text, so nothing else fits.
const TOKEN = /^[A-Za-z0-9_.:/-]{1,200}$/;
const MAX_PURPOSE = 500;
const MAX_LIST = 5_000;

function token(name: string, value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (!TOKEN.test(value)) throw new TypeError(`trail: ${name} must be an ID or a name`);
  return value;
}

function tokens(name: string, values: readonly string[] | undefined): string[] {
  const list = [...new Set(values ?? [])];
  if (list.length > MAX_LIST) throw new TypeError(`trail: too many ${name}`);
  for (const value of list) token(name, value);
  return list;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f]/g;

/** Control characters and lone surrogates become spaces and U+FFFD (PostgreSQL's jsonb refuses \u0000). */
function cleanText(value: string): string {
  return String(value)
    .replace(CONTROL, ' ')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/**
 * The canonical encoding that is hashed: a JSON array in a fixed order, starting with the previous hash
 * and the sequence number, so `["<prev>",<seq>,` is a fixed prefix the verifier checks without parsing.
 * JSON.stringify is deterministic for arrays of strings, numbers and null.
 *
 *   [prev, seq, atMs, actorKind, actorId, actorRole, session, network, action, targetType, targetId,
 *    subjects, fields, purpose, result, requestId]
 */
export function encodeEntry(prev: string, seq: number, at: Date, record: TrailRecord): string {
  if (!(TRAIL_ACTIONS as readonly string[]).includes(record.action)) {
    throw new TypeError(`trail: unknown action ${record.action}`);
  }
  const purpose = record.purpose === undefined || record.purpose === null ? null : cleanText(record.purpose);
  if (purpose !== null && purpose.length > MAX_PURPOSE) throw new TypeError('trail: purpose too long');
  const { actor } = record;
  return JSON.stringify([
    prev,
    seq,
    at.getTime(),
    token('actor kind', actor.kind),
    token('actor id', actor.id),
    token('actor role', actor.role),
    token('session', actor.session),
    token('network', actor.network),
    record.action,
    token('target type', record.target?.type ?? null),
    token('target id', record.target?.id ?? null),
    tokens('subjects', record.subjects),
    tokens('fields', record.fields),
    purpose,
    token('result', record.result),
    token('request id', record.requestId ?? null),
  ]);
}

export function hashBody(body: string | Buffer): string {
  return sha256Base64url(body);
}

/** The prefix every body at `seq` after `prev` starts with. */
export function bodyPrefix(prev: string, seq: number): string {
  return `["${prev}",${seq},`;
}

/** Reads a stored body back (searches, diagnosis); null when it is not a well-formed entry. */
export function decodeEntry(seq: number, hash: string, body: string): TrailEntry | null {
  try {
    const a = JSON.parse(body) as unknown[];
    if (!Array.isArray(a) || a.length !== 16) return null;
    const text = (i: number) => (typeof a[i] === 'string' ? (a[i] as string) : null);
    const list = (i: number) => (Array.isArray(a[i]) ? (a[i] as unknown[]).map(String) : []);
    const targetType = text(9);
    const targetId = text(10);
    return {
      seq,
      at: new Date(Number(a[2])),
      actor: {
        kind: (text(3) ?? 'anonymous') as ActorKind,
        id: text(4),
        role: text(5),
        session: text(6),
        network: text(7),
      },
      action: text(8) ?? '',
      target: targetType && targetId ? { type: targetType, id: targetId } : null,
      subjects: list(11),
      fields: list(12),
      purpose: text(13),
      result: text(14) ?? '',
      requestId: text(15),
      prevHash: text(0) ?? '',
      hash,
    };
  } catch {
    return null;
  }
}

/** The body's own claims about its place in the chain, for diagnosis. */
export function bodyPlace(body: string): { prev: string; seq: number } | null {
  try {
    const a = JSON.parse(body) as unknown[];
    return typeof a[0] === 'string' && typeof a[1] === 'number' ? { prev: a[0], seq: a[1] } : null;
  } catch {
    return null;
  }
}
