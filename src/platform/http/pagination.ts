import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import { PlatformErrors } from '../errors.ts';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);

const CURSOR_ID = /^[a-z]{2,3}_[0-9a-z]{26}$/;
const MAX_CURSOR_TIME = Date.UTC(9999, 11, 31);

/** Position after which the next page starts: newest first, ties broken by ID. */
export interface Cursor {
  readonly createdAt: Date;
  readonly id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.toISOString(), cursor.id]), 'utf8').toString(
    'base64url',
  );
}

export function decodeCursor(value: string | undefined): Cursor | null {
  if (value === undefined) return null;
  const invalid = () =>
    PlatformErrors.PLATFORM_VALIDATION_FAILED('The cursor is not valid.', {
      errors: [{ field: 'query.cursor', message: 'is not a cursor this API issued' }],
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== 'string' ||
    typeof parsed[1] !== 'string'
  ) {
    throw invalid();
  }
  const createdAt = new Date(parsed[0]);
  // Only what a cursor can hold reaches the query: an ID-shaped key (no NUL or other bytes PostgreSQL
  // refuses) and a time inside PostgreSQL's range.
  const time = createdAt.getTime();
  if (Number.isNaN(time) || time < 0 || time > MAX_CURSOR_TIME || !CURSOR_ID.test(parsed[1])) throw invalid();
  return { createdAt, id: parsed[1] };
}

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

/** Rows fetched with `limit + 1`: the extra row only says whether another page exists. */
export function toPage<R extends Cursor, T>(rows: R[], limit: number, map: (row: R) => T): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items: items.map(map), nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

export function pageSchema<T extends import('@sinclair/typebox').TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}

/** Keyset condition for "rows after this cursor" in newest-first order; needs `created_at` and `id` columns. */
export function olderThan(cursor: Cursor) {
  return sql<boolean>`(created_at, id) < (${cursor.createdAt}, ${cursor.id})`;
}

export interface PageRequest<S> {
  readonly status?: S;
  readonly limit: number;
  readonly after: Cursor | null;
}

/** Reads `limit`, `cursor` and an optional `status` filter, loads `limit + 1` rows, and pages them. */
export async function loadPage<S, T extends Cursor>(
  query: { limit?: number; cursor?: string; status?: S },
  load: (request: PageRequest<S>) => Promise<T[]>,
): Promise<Page<T>> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const rows = await load({
    ...(query.status === undefined ? {} : { status: query.status }),
    limit,
    after: decodeCursor(query.cursor),
  });
  return toPage(rows, limit, (row) => row);
}
