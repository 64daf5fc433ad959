import { describe, expect, it } from 'vitest';
import type { IdentityMessage } from '../../src/modules/identity/index.ts';
import { renderEmail, renderNotice } from '../../src/modules/notify/index.ts';

const PUBLIC_URL = 'https://shop.example';
const at = new Date('2026-11-29T14:03:00Z');
const expiresAt = new Date('2026-11-29T15:03:00Z');

// One of each template, with the secrets a message may carry.
const MESSAGES: IdentityMessage[] = [
  { template: 'password_reset', token: 'reset-secret', expiresAt },
  { template: 'password_reset_unknown' },
  { template: 'account_exists' },
  { template: 'welcome' },
  { template: 'login_alert', device: 'Firefox on Linux', place: 'PL', at, notMeToken: 'not-me-secret' },
  { template: 'security_change', change: 'totp_disabled', at },
  { template: 'email_change_confirm', token: 'confirm-secret', expiresAt },
  { template: 'email_change_approve', token: 'approve-secret', expiresAt },
  {
    template: 'security_alert',
    alertId: 'alt_00000000000000000000000000',
    rule: 'credential_stuffing.network',
    severity: 'high',
    summary: '20 accounts failed to log in from 203.0.113.0/24',
    at,
  },
];

describe('message templates', () => {
  it('every e-mail has a subject, says how to reach support, and never asks for a password', () => {
    for (const message of MESSAGES) {
      const email = renderEmail(message, PUBLIC_URL);
      expect(email.subject.length, message.template).toBeGreaterThan(5);
      expect(email.text, message.template).toContain(`${PUBLIC_URL}/support`);
      expect(email.html, message.template).toContain(`${PUBLIC_URL}/support`);
      expect(email.text, message.template).toContain('We will never ask for your password');
    }
  });

  it('links put their token in the fragment, and the in-app version carries no link and no token', () => {
    const links: Record<string, string> = {
      password_reset: `${PUBLIC_URL}/reset-password#token=reset-secret`,
      login_alert: `${PUBLIC_URL}/not-me#token=not-me-secret`,
      email_change_confirm: `${PUBLIC_URL}/confirm-email#token=confirm-secret`,
      email_change_approve: `${PUBLIC_URL}/confirm-email#token=approve-secret`,
    };
    for (const message of MESSAGES) {
      const email = renderEmail(message, PUBLIC_URL);
      const link = links[message.template];
      if (link) expect(email.text, message.template).toContain(link);
      const notice = renderNotice(message);
      expect(notice.text, message.template).not.toMatch(/secret|#token=|https?:/);
      expect(notice.title, message.template).toBe(email.subject);
    }
  });

  it('a hostile device name cannot add lines, hide text or inject markup', () => {
    const email = renderEmail(
      {
        template: 'login_alert',
        device: `Chrome\r\n\r\nYour account is locked: call +1 555 0100\u202e<script>alert(1)</script>${'x'.repeat(200)}`,
        place: '<b>Warsaw</b>\n',
        at,
        notMeToken: 'n',
      },
      PUBLIC_URL,
    );
    const deviceLine = email.text.split('\n').find((line) => line.startsWith('Device: ')) ?? '';
    expect(deviceLine).toContain('Your account is locked');
    expect(deviceLine.length).toBeLessThanOrEqual('Device: '.length + 80);
    expect(email.text).not.toContain('\u202e');
    expect(email.text).toContain('Approximate place: <b>Warsaw</b>\n');
    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('<b>Warsaw');
    expect(email.html).toContain('&lt;script&gt;');
  });
});
