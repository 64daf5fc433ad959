/**
 * What kind of personal data a field is, for the incident's counts and the notices: the categories the
 * notification rules speak of (contact details, home address, identity, network identifiers).
 */
export const FIELD_CATEGORIES = {
  fullName: 'identity',
  recipientName: 'identity',
  email: 'contact',
  phone: 'contact',
  addresses: 'address',
  line1: 'address',
  line2: 'address',
  city: 'address',
  region: 'address',
  postalCode: 'address',
  ip: 'network',
  note: 'order_content',
  options: 'order_content',
} as const satisfies Record<string, string>;

/**
 * Every category a field can have. Credentials, financial and government-ID data are never revealed by
 * Bulwark today (passwords are hashed, cards stay with the payment provider) but the rules name them.
 */
export type FieldCategory =
  | (typeof FIELD_CATEGORIES)[keyof typeof FIELD_CATEGORIES]
  | 'credentials'
  | 'financial'
  | 'government_id'
  | 'other';

export function categoryOf(field: string): FieldCategory {
  return (FIELD_CATEGORIES as Record<string, FieldCategory>)[field] ?? 'other';
}
