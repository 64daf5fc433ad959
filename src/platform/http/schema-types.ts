import { type StringOptions, Type } from '@sinclair/typebox';
import { type IdKind, idPattern } from '../ids.ts';

// At least one visible character, and no C0/C1 control characters or bidirectional overrides: they hide
// payloads in logs, break terminals, and make a label read differently from what it says ("Trojan Source").
const PRINTABLE = '^(?=[\\s\\S]*\\S)[^\\u0000-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069]*$';

export function Text(options: StringOptions & { maxLength: number }) {
  return Type.String({ pattern: PRINTABLE, ...options });
}

export function IdParam(kind: IdKind) {
  return Type.String({ pattern: idPattern(kind), description: `An opaque ${kind} ID` });
}

/** Amounts are integers in minor units (fen for CNY); 10^10 fen is far above any real order. */
export function MinorUnits(options: { minimum: number; maximum?: number; description?: string }) {
  return Type.Integer({ maximum: 10_000_000_000, ...options });
}

export const CountryCode = Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' });
// Handlers return Date; the serializer writes ISO 8601.
export const Timestamp = Type.Unsafe<Date>({ type: 'string', format: 'date-time' });
export const ProblemRef = Type.Ref('Problem');

/** A 204 answer: no body. */
export const NoContent = { type: 'null', description: 'No content' } as const;
