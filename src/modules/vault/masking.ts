import { parsePhoneNumberWithError } from 'libphonenumber-js';

/** How a value is shown to anyone but its subject: enough to recognise it, not enough to use it. */
export type MaskKind = 'email' | 'phone' | 'name' | 'text' | 'address';

/** `jane.doe@example.com` → `j***@example.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${[...email][0]}***${email.slice(at)}`;
}

/** `+14155550123` → `+1 *** *** 0123`: country calling code and last four digits. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 8) return '***';
  let country: string;
  try {
    country = parsePhoneNumberWithError(phone).countryCallingCode;
  } catch {
    return `*** *** ${digits.slice(-4)}`;
  }
  return `+${country} *** *** ${digits.slice(-4)}`;
}

/** `Anna Maria Kowalska` → `Anna K.`: first name and last initial. */
export function maskName(name: string): string {
  const parts = name.trim().split(/\s+/);
  const first = parts[0] ?? '';
  if (parts.length < 2) return `${[...first][0] ?? ''}***`;
  return `${first} ${[...(parts.at(-1) ?? '')][0] ?? ''}.`;
}

/** Free text and address lines are hidden entirely; only city and country of an address are shown. */
export function maskText(): string {
  return '***';
}

export function mask(kind: MaskKind, value: string): string {
  switch (kind) {
    case 'email':
      return maskEmail(value);
    case 'phone':
      return maskPhone(value);
    case 'name':
      return maskName(value);
    case 'address':
      return value;
    case 'text':
      return maskText();
  }
}
