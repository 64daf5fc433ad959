import { randomBytes } from 'node:crypto';

declare const brand: unique symbol;
/** A string that is known to be an ID of one kind: a `UserId` cannot be passed where an `OrderId` is wanted. */
export type Id<P extends string> = string & { readonly [brand]: P };

export const ID_PREFIXES = {
  user: 'usr',
  session: 'ses',
  address: 'adr',
  order: 'ord',
  orderItem: 'itm',
  parcel: 'pcl',
  photo: 'pho',
  ledgerAccount: 'acc',
  ledgerTransaction: 'txn',
  dataKey: 'dk',
  event: 'evt',
  request: 'req',
  apiKey: 'key',
  emailChange: 'ech',
  message: 'msg',
  notice: 'ntc',
  passkey: 'psk',
  webauthnChallenge: 'wac',
  piiExport: 'pex',
  alert: 'alt',
  containment: 'cnt',
  incident: 'inc',
  noticeDraft: 'ndr',
  drillRun: 'drl',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;
export type UserId = Id<'usr'>;
export type SessionId = Id<'ses'>;
export type ApiKeyId = Id<'key'>;
export type AddressId = Id<'adr'>;
export type OrderId = Id<'ord'>;
export type OrderItemId = Id<'itm'>;
export type ParcelId = Id<'pcl'>;
export type PhotoId = Id<'pho'>;
export type LedgerAccountId = Id<'acc'>;
export type LedgerTransactionId = Id<'txn'>;
export type DataKeyId = Id<'dk'>;
export type MessageId = Id<'msg'>;
export type NoticeId = Id<'ntc'>;
export type PasskeyId = Id<'psk'>;
export type WebauthnChallengeId = Id<'wac'>;
export type PiiExportId = Id<'pex'>;

// Crockford base32 without padding: 26 characters carry 130 bits, of which 128 are random.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const ID_BODY_LENGTH = 26;
const ID_PATTERN = new RegExp(`^[a-z]{2,3}_[${ALPHABET}]{${ID_BODY_LENGTH}}$`);

/** A new random, opaque ID: 128 bits from the CSPRNG, never sequential, so IDs cannot be walked. */
export function newId<K extends IdKind>(kind: K): Id<(typeof ID_PREFIXES)[K]> {
  const bytes = randomBytes(17);
  let body = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && body.length < ID_BODY_LENGTH) {
      body += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return `${ID_PREFIXES[kind]}_${body}` as Id<(typeof ID_PREFIXES)[K]>;
}

/** True when `value` has the shape of an ID of `kind`; says nothing about whether it exists. */
export function isId<K extends IdKind>(kind: K, value: string): value is Id<(typeof ID_PREFIXES)[K]> {
  return ID_PATTERN.test(value) && value.startsWith(`${ID_PREFIXES[kind]}_`);
}

/** JSON-schema pattern for an ID of `kind`, used in route schemas. */
export function idPattern(kind: IdKind): string {
  return `^${ID_PREFIXES[kind]}_[${ALPHABET}]{${ID_BODY_LENGTH}}$`;
}
