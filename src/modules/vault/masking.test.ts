import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskEmail, maskName, maskPhone } from './masking.ts';

describe('masking', () => {
  it('shows the forms the design promises', () => {
    expect(maskEmail('jane.doe@example.com')).toBe('j***@example.com');
    expect(maskPhone('+14155550123')).toBe('+1 *** *** 0123');
    expect(maskPhone('+48601234567')).toBe('+48 *** *** 4567');
    expect(maskName('Anna Maria Kowalska')).toBe('Anna K.');
    expect(maskName('Cher')).toBe('C***');
  });

  it('an e-mail keeps only its first character and its domain', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (email) => {
        const masked = maskEmail(email);
        const local = email.slice(0, email.lastIndexOf('@'));
        expect(masked.endsWith(email.slice(email.lastIndexOf('@')))).toBe(true);
        if (local.length > 2) expect(masked).not.toContain(local.slice(1));
      }),
    );
  });

  it('a phone number shows at most its country code and last four digits', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\+[1-9]\d{7,14}$/), (phone) => {
        const shown = maskPhone(phone).replace(/\D/g, '');
        const digits = phone.replace(/\D/g, '');
        // Country calling codes have one to three digits.
        expect(shown.endsWith(digits.slice(-4))).toBe(true);
        expect(digits.startsWith(shown.slice(0, -4))).toBe(true);
        expect(shown.length).toBeLessThanOrEqual(7);
      }),
    );
  });

  it('a name shows the first word and one letter of the last, never the rest of the surname', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[A-Za-zÀ-ž]{2,12}$/), { minLength: 2, maxLength: 4 }),
        (words) => {
          // Exactly the first word and the surname's initial: nothing else of the name can be in it.
          // (A containment check fails on its own initial: "aa RR" masks to "aa R.", which contains "R".)
          const last = words.at(-1) as string;
          expect(maskName(words.join(' '))).toBe(`${words[0]} ${[...last][0]}.`);
        },
      ),
    );
  });
});
