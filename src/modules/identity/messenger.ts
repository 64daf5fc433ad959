import type { AnyDb } from '../../platform/db/index.ts';
import type { UserId } from '../../platform/ids.ts';

/** A change to an account that its owner is told about, whoever made it. */
export type SecurityChange =
  | 'password_changed'
  | 'password_reset'
  | 'email_changed'
  | 'phone_changed'
  | 'totp_enabled'
  | 'totp_disabled'
  | 'recovery_codes_regenerated'
  | 'passkey_added'
  | 'passkey_removed'
  | 'sessions_revoked';

/**
 * What identity asks to be told to a person. Links carry single-use secrets, so every message is sealed
 * by the vault until it is delivered; the sender turns a message into text, identity never does.
 */
export type IdentityMessage =
  /** A reset link (`token` goes into `${publicUrl}/reset-password#token=…`). */
  | { readonly template: 'password_reset'; readonly token: string; readonly expiresAt: Date }
  /** Someone asked to reset a password for an address with no account: said, so both cases send one. */
  | { readonly template: 'password_reset_unknown' }
  /** Someone tried to sign up with an address that already has an account. */
  | { readonly template: 'account_exists' }
  | { readonly template: 'welcome' }
  /** A login from a device not seen before, with a one-click "this wasn't me" link. */
  | {
      readonly template: 'login_alert';
      readonly device: string;
      readonly place: string | null;
      readonly at: Date;
      readonly notMeToken: string;
    }
  | { readonly template: 'security_change'; readonly change: SecurityChange; readonly at: Date }
  /** Sent to the new address: confirm that it is yours. */
  | { readonly template: 'email_change_confirm'; readonly token: string; readonly expiresAt: Date }
  /** Sent to the current address: approve the move to another address. */
  | { readonly template: 'email_change_approve'; readonly token: string; readonly expiresAt: Date }
  /** To the security team's address: detection raised an alert (IDs and counts only, never personal data). */
  | {
      readonly template: 'security_alert';
      readonly alertId: string;
      readonly rule: string;
      readonly severity: string;
      readonly summary: string;
      readonly at: Date;
    };

/** Where a message goes: an account's current address (and in-app notices), or a bare address. */
export type Recipient = { readonly userId: UserId } | { readonly userId?: UserId; readonly address: string };

/**
 * The outbox, as identity sees it: `send` records the message inside the caller's transaction (`db`),
 * so a message exists exactly when the change that caused it commits; delivery happens later, with
 * retries. Implemented by `notify`; identity never imports it.
 */
export interface Messenger {
  /** Resolves once recorded (with the message's ID, which identity does not need). */
  send(db: AnyDb, to: Recipient, message: IdentityMessage): Promise<unknown>;
}
