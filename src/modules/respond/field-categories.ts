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

export type FieldCategory = (typeof FIELD_CATEGORIES)[keyof typeof FIELD_CATEGORIES] | 'other';

export function categoryOf(field: string): FieldCategory {
  return (FIELD_CATEGORIES as Record<string, FieldCategory>)[field] ?? 'other';
}
