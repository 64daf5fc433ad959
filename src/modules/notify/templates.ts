import type { IdentityMessage, SecurityChange } from '../identity/index.ts';
import { type BreachNoticeMessage, breachNoticeSections } from './breach-notice.template.ts';

/** A file sent with a document (a regulator report as Markdown, JSON and PDF). */
export interface Attachment {
  readonly filename: string;
  readonly contentType: string;
  /** Base64. */
  readonly content: string;
}

/** A document for a bare address (a regulator, the privacy team): its own subject, text and files. */
export interface DocumentMessage {
  readonly template: 'document';
  readonly subject: string;
  readonly text: string;
  readonly attachments: readonly Attachment[];
}

/** Everything the outbox carries: identity's messages, breach notices, documents. */
export type OutboxMessage = IdentityMessage | BreachNoticeMessage | DocumentMessage;

/** Fields that are single-use secrets: they reach the e-mail only, never an in-app notice or a log. */
type SecretField = 'token' | 'notMeToken';
type WithoutSecrets<M> = M extends unknown ? Omit<M, SecretField> : never;

/** What an in-app notice keeps of a message: the facts, never the link secrets. */
export type NoticeMessage = WithoutSecrets<OutboxMessage>;
export type Template = OutboxMessage['template'];

export interface Email {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly attachments: readonly Attachment[];
}

/** A paragraph of plain text, optionally ending with a link on its own line. */
interface Paragraph {
  readonly text: string;
  readonly link?: string;
}

interface Content {
  readonly subject: string;
  readonly body: readonly Paragraph[];
}

const CHANGES: Readonly<Record<SecurityChange, string>> = {
  password_changed: 'Your password was changed.',
  password_reset: 'Your password was reset with a reset link.',
  email_changed: 'The e-mail address of your account was changed.',
  phone_changed: 'The phone number of your account was changed.',
  totp_enabled: 'Two-step sign-in with an authenticator app was turned on.',
  totp_disabled: 'Two-step sign-in with an authenticator app was turned off.',
  recovery_codes_regenerated: 'New recovery codes were made; the old ones no longer work.',
  passkey_added: 'A passkey was added to your account.',
  passkey_removed: 'A passkey was removed from your account.',
  sessions_revoked: 'Every session of your account was signed out.',
};

/** Links carry their secret in the fragment: browsers never send it to a server, a log or a Referer. */
function link(publicUrl: string, path: string, token: string): string {
  return `${publicUrl}/${path}#token=${encodeURIComponent(token)}`;
}

/** `2026-11-29 14:03 UTC`: unambiguous wherever the reader is. */
export function formatTime(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

// Device and place come from request headers, which an attacker writes: one line, no control or bidi
// characters, and short, so they cannot make our own message say something we did not write.
function quoted(value: string): string {
  const flat = value
    .replace(/[\p{Cc}\u202A-\u202E\u2066-\u2069]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > 80 ? `${flat.slice(0, 79)}…` : flat || 'unknown';
}

/**
 * The text of every message. `publicUrl` null renders the in-app version: the same facts without a
 * link, because in-app notices never hold secrets.
 */
function content(
  message: NoticeMessage & Partial<Record<SecretField, string>>,
  publicUrl: string | null,
): Content {
  const at = (token: string | undefined, path: string) =>
    publicUrl && token ? { link: link(publicUrl, path, token) } : {};
  switch (message.template) {
    case 'password_reset':
      return {
        subject: 'Reset your Bulwark password',
        body: [
          { text: 'Someone, hopefully you, asked to reset the password of your Bulwark account.' },
          publicUrl
            ? {
                text: `To choose a new password, open this link before ${formatTime(message.expiresAt)}. It works once:`,
                ...at(message.token, 'reset-password'),
              }
            : { text: 'We sent a reset link to your e-mail address.' },
          { text: 'If you did not ask for this, ignore it: your password stays as it is.' },
        ],
      };
    case 'password_reset_unknown':
      return {
        subject: 'Bulwark password reset request',
        body: [
          {
            text: 'Someone asked to reset a Bulwark password for this e-mail address, but it has no account.',
          },
          {
            text: 'If it was you, you may have signed up with another address. If not, you can ignore this message.',
          },
        ],
      };
    case 'account_exists':
      return {
        subject: 'Someone tried to sign up with your e-mail address',
        body: [
          { text: 'Someone tried to create a Bulwark account with this address, which already has one.' },
          {
            text: 'If it was you, log in instead, or reset your password from the login page. If not, you do not need to do anything: nothing was changed.',
          },
        ],
      };
    case 'welcome':
      return {
        subject: 'Welcome to Bulwark',
        body: [
          { text: 'Your Bulwark account is ready.' },
          {
            text: 'Turn on two-step sign-in under Security to keep it safe, even if your password ever leaks.',
          },
        ],
      };
    case 'login_alert':
      return {
        subject: 'New sign-in to your Bulwark account',
        body: [
          { text: 'Your account was signed in to from a device we had not seen before.' },
          {
            text: `Device: ${quoted(message.device)}\nApproximate place: ${message.place ? quoted(message.place) : 'unknown'}\nTime: ${formatTime(message.at)}`,
          },
          { text: 'If this was you, you do not need to do anything.' },
          publicUrl
            ? {
                text: "If it wasn't you, open this link: we sign out every session and help you secure the account.",
                ...at(message.notMeToken, 'not-me'),
              }
            : {
                text: "If it wasn't you, change your password and sign out your other sessions under Security.",
              },
        ],
      };
    case 'security_change':
      return {
        subject: 'A security setting of your Bulwark account changed',
        body: [
          { text: `${CHANGES[message.change]} (${formatTime(message.at)})` },
          {
            text: "If this wasn't you, reset your password now and sign out your other sessions under Security.",
          },
        ],
      };
    case 'email_change_confirm':
      return {
        subject: 'Confirm your new e-mail address',
        body: [
          { text: 'Someone, hopefully you, asked to use this address for a Bulwark account.' },
          publicUrl
            ? {
                text: `To confirm it, open this link before ${formatTime(message.expiresAt)}. It works once:`,
                ...at(message.token, 'confirm-email'),
              }
            : { text: 'We sent a confirmation link to the new address.' },
          { text: 'If you did not ask for this, ignore it: nothing changes.' },
        ],
      };
    case 'email_change_approve':
      return {
        subject: 'Approve the change of your e-mail address',
        body: [
          { text: 'Someone asked to move your Bulwark account to another e-mail address.' },
          publicUrl
            ? {
                text: `If it was you, approve the change with this link before ${formatTime(message.expiresAt)}:`,
                ...at(message.token, 'confirm-email'),
              }
            : { text: 'We sent a link to approve it to your current address.' },
          { text: "If it wasn't you, do not open the link, and change your password now." },
        ],
      };
    case 'breach_notice': {
      const notice = breachNoticeSections(message);
      return {
        subject: notice.subject,
        body: notice.sections.map((section) => ({ text: `${section.heading}\n${section.text}` })),
      };
    }
    case 'document':
      return { subject: message.subject, body: [{ text: message.text }] };
    case 'security_alert':
      return {
        subject: `Bulwark security alert (${message.severity}): ${message.rule}`,
        body: [
          { text: `${message.summary} (${formatTime(message.at)})` },
          {
            text: `Alert ${message.alertId}: see the evidence and the containment applied in the security console (GET /v1/security/alerts).`,
          },
        ],
      };
  }
}

function supportLine(publicUrl: string | null): string {
  const where = publicUrl ? `${publicUrl}/support` : 'the Help page';
  return `Questions? Reach Bulwark support at ${where}. We will never ask for your password.`;
}

/** Breach notices and documents carry their own contact lines, in their own language. */
const hasOwnContact = (message: NoticeMessage) =>
  message.template === 'breach_notice' || message.template === 'document';

/** The e-mail for a message: plain text, and the same text as simple HTML. */
export function renderEmail(message: OutboxMessage, publicUrl: string, phrase?: string | null): Email {
  const { subject, body } = content(message, publicUrl);
  // First, where a phishing copy would have to guess it.
  const proof: Paragraph[] = phrase
    ? [
        {
          text: `Your anti-phishing phrase: ${phrase}\nA message that claims to be from Bulwark without it is not from us.`,
        },
      ]
    : [];
  const paragraphs = [
    ...proof,
    ...body,
    ...(hasOwnContact(message) ? [] : [{ text: supportLine(publicUrl) }]),
  ];
  const text = paragraphs.map((p) => (p.link ? `${p.text}\n${p.link}` : p.text)).join('\n\n');
  const html = paragraphs
    .map((p) => {
      const lines = escapeHtml(p.text).replace(/\n/g, '<br>');
      const anchor = p.link ? `<br><a href="${escapeHtml(p.link)}">${escapeHtml(p.link)}</a>` : '';
      return `<p>${lines}${anchor}</p>`;
    })
    .join('\n');
  return {
    subject,
    text: `${text}\n`,
    html: `<!doctype html>\n<html><body>\n${html}\n</body></html>\n`,
    attachments: message.template === 'document' ? message.attachments : [],
  };
}

/** The in-app version: the same facts, no link and no secret. */
export function renderNotice(message: NoticeMessage): { title: string; text: string } {
  const { subject, body } = content(message, null);
  const tail = hasOwnContact(message) ? [] : [supportLine(null)];
  return { title: subject, text: [...body.map((p) => p.text), ...tail].join('\n\n') };
}

/** Drops every secret field, so what is stored for the in-app inbox could never sign anyone in. */
export function withoutSecrets(message: OutboxMessage): NoticeMessage {
  const {
    token: _token,
    notMeToken: _notMe,
    ...rest
  } = message as OutboxMessage & Partial<Record<SecretField, string>>;
  return rest as NoticeMessage;
}

function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
