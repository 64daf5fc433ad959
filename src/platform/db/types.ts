/** PostgreSQL's int8 type OID. Money columns are bigint; values stay far below 2^53 by validation. */
export const PG_INT8_OID = 20;

export function parseInt8(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new RangeError('int8 value out of the safe integer range');
  return parsed;
}
