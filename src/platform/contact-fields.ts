import { getCountries, parsePhoneNumberWithError } from 'libphonenumber-js';
import type { FieldProblem } from './errors.ts';

const COUNTRIES = new Set<string>(getCountries());

/** ISO 3166-1 alpha-2 codes that Bulwark can ship to and phone numbers exist for. */
export function isCountryCode(value: string): boolean {
  return COUNTRIES.has(value);
}

/** E-mail addresses are compared after NFC normalization, trimming and lower-casing. */
export function normalizeEmail(email: string): string {
  return email.normalize('NFC').trim().toLowerCase();
}

/** Returns the number in E.164 form, or null when it is not a real number. */
export function normalizePhone(phone: string): string | null {
  try {
    const parsed = parsePhoneNumberWithError(phone);
    return parsed.isValid() ? parsed.number : null;
  } catch {
    return null;
  }
}

/** Field problems for a phone number and a country code, as found in profiles and addresses. */
export function problemsForContact(
  input: { phone?: string | null; country?: string },
  prefix = 'body',
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (input.country !== undefined && !isCountryCode(input.country)) {
    problems.push({ field: `${prefix}.country`, message: 'must be an ISO 3166-1 alpha-2 country code' });
  }
  if (input.phone !== undefined && input.phone !== null && normalizePhone(input.phone) === null) {
    problems.push({
      field: `${prefix}.phone`,
      message: 'must be a valid phone number in E.164 form, like +4915112345678',
    });
  }
  return problems;
}
