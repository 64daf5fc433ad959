import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One message as the catcher received it; `text` is the decoded text/plain part. */
export interface CaughtMail {
  /** Envelope recipients (RCPT TO), lower-cased. */
  readonly to: string[];
  readonly from: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string | null;
  readonly headers: Readonly<Record<string, string>>;
  /** Parts sent as attachments, decoded. */
  readonly attachments: readonly { filename: string; contentType: string; content: Buffer }[];
  readonly raw: string;
}

export interface MailCatcher {
  /** Pass as BULWARK_SMTP_URL (no TLS, no authentication). */
  readonly url: string;
  readonly port: number;
  /** Everything received so far, oldest first. */
  readonly messages: CaughtMail[];
  /** The first message, received or still to come, that matches; fails after `timeoutMs`. */
  waitFor(predicate: (mail: CaughtMail) => boolean, timeoutMs?: number): Promise<CaughtMail>;
  close(): Promise<void>;
}

/**
 * An SMTP server on 127.0.0.1 that keeps what it receives, for tests:
 *
 *   const mail = await startMailCatcher();
 *   const test = await createTestApp({ BULWARK_SMTP_URL: mail.url });
 *   test.container.notify.startDelivery();
 *   const reset = await mail.waitFor((m) => m.to.includes(email) && m.subject.includes('Reset'));
 *   const token = linkToken(reset, 'reset-password');
 *
 * `port` starts it on a chosen port (to bring a mail server "back up" where the app already points).
 */
export async function startMailCatcher(
  options: {
    port?: number;
    /** Holds each reply this long: a slow mail server, so a batch is still being sent when a test acts. */
    delayMs?: number;
    /** Holds every reply until this resolves (a test lets the sender build a backlog first). */
    hold?: Promise<unknown>;
    /** Called once a message is accepted (its 250 reply sent). */
    onAccepted?: (mail: CaughtMail) => void;
  } = {},
): Promise<MailCatcher> {
  const messages: CaughtMail[] = [];
  const closed = new Set<string>();
  const waiters = new Set<{
    predicate: (mail: CaughtMail) => boolean;
    resolve: (mail: CaughtMail) => void;
  }>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    closeTimeout: 500,
    onClose(session) {
      closed.add(session.id);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const mail = parseMail(
          raw,
          session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        );
        const accept = () => {
          // The sender hung up while we held the reply: it never heard a 250, so nothing was delivered.
          if (closed.has(session.id)) return callback(new Error('connection closed'));
          messages.push(mail);
          for (const waiter of waiters) {
            if (waiter.predicate(mail)) {
              waiters.delete(waiter);
              waiter.resolve(mail);
            }
          }
          callback();
          options.onAccepted?.(mail);
        };
        void (options.hold ?? Promise.resolve()).then(() => {
          if (options.delayMs) setTimeout(accept, options.delayMs);
          else accept();
        });
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    waitFor(predicate, timeoutMs = 10_000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (mail: CaughtMail) => {
            clearTimeout(timer);
            resolve(mail);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching mail within ${timeoutMs} ms (${messages.length} received)`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The secret of a `${publicUrl}/${path}#token=…` link in a message's text, or null. */
export function linkToken(mail: CaughtMail, path: string): string | null {
  const match = mail.text.match(new RegExp(`/${path}#token=([^\\s]+)`));
  return match?.[1] ? decodeURIComponent(match[1]) : null;
}

// A small RFC 5322 / MIME reader, enough for what nodemailer writes: headers (unfolded, encoded words),
// multipart bodies, quoted-printable and base64 parts.
function parseMail(raw: string, to: string[], from: string): CaughtMail {
  const { headers, body } = splitEntity(raw);
  const parts = leafParts(headers, body);
  const partOf = (type: string) => parts.find((part) => contentType(part.headers).type === type);
  const text = partOf('text/plain');
  const html = partOf('text/html');
  return {
    to,
    from,
    subject: decodeWords(headers.subject ?? ''),
    text: text ? decodeBody(text.headers, text.body) : '',
    html: html ? decodeBody(html.headers, html.body) : null,
    headers,
    attachments: parts
      .filter((part) => /^attachment/i.test(part.headers['content-disposition'] ?? ''))
      .map((part) => ({
        filename: part.headers['content-disposition']?.match(/filename="?([^";]+)"?/i)?.[1] ?? '',
        contentType: contentType(part.headers).type,
        content: decodeBytes(part.headers, part.body),
      })),
    raw,
  };
}

interface Entity {
  readonly headers: Record<string, string>;
  readonly body: string;
}

function splitEntity(raw: string): Entity {
  const normalized = raw.replace(/\r\n/g, '\n');
  const end = normalized.indexOf('\n\n');
  const head = end === -1 ? normalized : normalized.slice(0, end);
  const body = end === -1 ? '' : normalized.slice(end + 2);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function contentType(headers: Record<string, string>): { type: string; boundary: string | null } {
  const value = headers['content-type'] ?? 'text/plain';
  const boundary = value.match(/boundary="?([^";]+)"?/i)?.[1] ?? null;
  return { type: value.split(';')[0]?.trim().toLowerCase() ?? 'text/plain', boundary };
}

function leafParts(headers: Record<string, string>, body: string): Entity[] {
  const { type, boundary } = contentType(headers);
  if (!type.startsWith('multipart/') || !boundary) return [{ headers, body }];
  const sections = body.split(`--${boundary}`).slice(1);
  const parts: Entity[] = [];
  for (const section of sections) {
    if (section.startsWith('--')) break;
    const entity = splitEntity(section.replace(/^\n/, ''));
    parts.push(...leafParts(entity.headers, entity.body));
  }
  return parts;
}

function decodeBody(headers: Record<string, string>, body: string): string {
  return decodeBytes(headers, body).toString('utf8');
}

function decodeBytes(headers: Record<string, string>, body: string): Buffer {
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  const trimmed = body.replace(/\n$/, '');
  if (encoding === 'base64') return Buffer.from(trimmed.replace(/\s+/g, ''), 'base64');
  if (encoding === 'quoted-printable') return Buffer.from(decodeQuotedPrintable(trimmed), 'utf8');
  return Buffer.from(trimmed, 'utf8');
}

function decodeQuotedPrintable(value: string): string {
  const joined = value.replace(/=\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i += 1) {
    const char = joined[i] as string;
    const hex = joined.slice(i + 1, i + 3);
    if (char === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(char, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`), as nodemailer writes non-ASCII subjects. */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_match, _charset: string, kind: string, text: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeQuotedPrintable(text.replace(/_/g, ' ')),
    );
}
