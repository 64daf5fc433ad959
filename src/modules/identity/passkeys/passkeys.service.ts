import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { isoBase64URL } from '@simplewebauthn/server/helpers';
import type { Config } from '../../../config/index.ts';
import type { Clock } from '../../../platform/clock.ts';
import { type AnyDb, isUniqueViolation, withTransaction } from '../../../platform/db/index.ts';
import { AppError } from '../../../platform/errors.ts';
import { newId, type PasskeyId, type UserId } from '../../../platform/ids.ts';
import { digestToken, type Vault } from '../../vault/index.ts';
import type { Accounts } from '../accounts.service.ts';
import { requireRecentAuthentication } from '../authentication.hook.ts';
import { describeDevice } from '../device.ts';
import { IdentityErrors } from '../identity.errors.ts';
import type { Messenger } from '../messenger.ts';
import type { OneTimeTokens } from '../one-time-tokens.ts';
import type { PersonPrincipal } from '../principal.ts';
import type { SecondFactors } from '../second-factors.ts';
import type { Sessions } from '../sessions.service.ts';
import {
  challengeExpired,
  consumeChallenge,
  countPasskeys,
  deleteExpiredChallenges,
  deleteOwnPasskey,
  findOwnPasskey,
  findPasskeyByCredentialId,
  flagPossibleClone,
  insertChallenge,
  insertPasskey,
  listPasskeys,
  lockUser,
  recordPasskeyUse,
} from './passkeys.repository.ts';
import type { AuthenticationResponseBody, RegistrationResponseBody } from './passkeys.schemas.ts';
import type { ChallengePurpose, PasskeyRow, PasskeysDb } from './passkeys.tables.ts';

/** Two minutes to answer a challenge; the browser's own timeout says the same. */
const CHALLENGE_SECONDS = 120;
/** Expired challenges are kept a little longer, so a late answer hears "expired" rather than "unknown". */
const CHALLENGE_KEEP_SECONDS = 600;
/** Enough for every device a person owns; a bound on what one account can make us store. */
export const MAX_PASSKEYS = 20;
// ES256 first (every platform authenticator), then Ed25519 and RS256 (Windows Hello).
const ALGORITHMS = [-7, -8, -257];
// What browsers report today; anything else is dropped rather than stored.
const TRANSPORTS = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'] as const;
type Transport = (typeof TRANSPORTS)[number];

export interface PasskeysDeps {
  readonly db: AnyDb;
  readonly config: Config;
  readonly clock: Clock;
  readonly vault: Vault;
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  readonly factors: SecondFactors;
  readonly tokens: OneTimeTokens;
  readonly messenger: Messenger;
}

export interface VerifiedAssertion {
  readonly userId: UserId;
  readonly passkeyId: PasskeyId;
  readonly userVerified: boolean;
}

/**
 * WebAuthn passkeys through @simplewebauthn/server: registration, and assertions for passwordless login
 * (user verification required: the passkey is both factors), for the second step of a password login and
 * for step-up (user presence suffices; verification is recorded). Every challenge is ours, single-use and
 * short-lived; every library call is wrapped so hostile input is a 4xx problem, never a 500.
 */
export function createPasskeys(deps: PasskeysDeps) {
  const rpID = deps.config.webauthnRpId;
  // Credentials are bound to this origin by the browser: a look-alike phishing site gets assertions that
  // name its own origin, which fail here.
  const expectedOrigin = new URL(deps.config.publicUrl).origin;

  const rejected = (detail: string, cause?: unknown) =>
    IdentityErrors.IDENTITY_PASSKEY_REJECTED(detail, cause === undefined ? {} : { cause });
  const nameField = (row: { id: string }) => ({ table: 'passkeys', column: 'name', rowId: row.id });

  /** Anything the library throws on hostile input becomes a refusal; our own problems pass through. */
  async function guarded<T>(work: () => Promise<T>, detail: string): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw rejected(detail, error);
    }
  }

  async function issueChallenge(purpose: ChallengePurpose, userId: UserId | null, challenge: string) {
    const now = deps.clock.now();
    const id = newId('webauthnChallenge');
    const expiresAt = new Date(now.getTime() + CHALLENGE_SECONDS * 1000);
    await deleteExpiredChallenges(deps.db, new Date(now.getTime() - CHALLENGE_KEEP_SECONDS * 1000));
    await insertChallenge(deps.db, {
      id,
      userId,
      purpose,
      challenge,
      createdAt: now,
      expiresAt,
      usedAt: null,
    });
    return { challengeId: id, expiresAt };
  }

  /** Uses the challenge up before anything is verified: a failed answer burns it too. */
  async function useChallenge(
    purpose: ChallengePurpose,
    challengeId: string,
    userId: UserId | null,
  ): Promise<string> {
    const now = deps.clock.now();
    const challenge = await consumeChallenge(deps.db, { id: challengeId, purpose, userId, now });
    if (challenge !== undefined) return challenge;
    if (await challengeExpired(deps.db, challengeId, now)) {
      throw IdentityErrors.IDENTITY_PASSKEY_CHALLENGE_EXPIRED(
        'The passkey request took too long: ask for new options and try again.',
        { errors: [{ field: 'body.challengeId', message: 'has expired' }] },
      );
    }
    throw rejected('The passkey challenge is unknown, already used, or not for this step.');
  }

  async function requestOptions(
    purpose: ChallengePurpose,
    userId: UserId | null,
    passkeys: readonly PasskeyRow[] | null,
    userVerification: 'required' | 'preferred',
  ) {
    const options = await generateAuthenticationOptions({
      rpID,
      timeout: CHALLENGE_SECONDS * 1000,
      userVerification,
      ...(passkeys ? { allowCredentials: passkeys.map(descriptorOf) } : {}),
    });
    return { ...(await issueChallenge(purpose, userId, options.challenge)), options };
  }

  async function ownPasskeys(userId: UserId): Promise<PasskeyRow[]> {
    const passkeys = await listPasskeys(deps.db, userId);
    if (passkeys.length === 0) {
      throw IdentityErrors.IDENTITY_MFA_NOT_ENROLLED('This account has no passkey.');
    }
    return passkeys;
  }

  /**
   * Checks an assertion against the challenge for `purpose` and the credential it names (which must be
   * `owner`'s when an owner is known), then records the use. The counter is compared here rather than by the
   * library, so that a regression can be told apart from a bad signature and reported.
   */
  async function verifyAssertion(
    purpose: ChallengePurpose,
    input: { challengeId: string; response: AuthenticationResponseBody },
    owner: UserId | null,
    requireUserVerification: boolean,
  ): Promise<VerifiedAssertion> {
    const expectedChallenge = await useChallenge(purpose, input.challengeId, owner);
    const passkey = await findPasskeyByCredentialId(deps.db, input.response.id);
    // Another person's credential is as unknown as one that does not exist.
    if (!passkey || (owner !== null && passkey.userId !== owner)) {
      throw rejected('This passkey is not registered to the account.');
    }
    const userHandle = input.response.response.userHandle;
    if (userHandle && userHandle !== userHandleOf(passkey.userId as UserId).encoded) {
      throw rejected('This passkey is not registered to the account.');
    }
    const storedCounter = Number(passkey.counter);
    const result = await guarded(
      () =>
        verifyAuthenticationResponse({
          response: input.response as AuthenticationResponseJSON,
          expectedChallenge,
          expectedOrigin,
          expectedRPID: rpID,
          credential: {
            id: passkey.credentialId,
            publicKey: isoBase64URL.toBuffer(passkey.publicKey),
            // Zero turns the library's own counter check off; ours follows the signature check.
            counter: 0,
            transports: transportsOf(passkey),
          },
          requireUserVerification,
        }),
      requireUserVerification
        ? 'The passkey did not verify: it must be used with your PIN, fingerprint or face on this site.'
        : 'The passkey did not verify for this site.',
    );
    if (!result.verified) throw rejected('The passkey signature did not verify.');
    const info = result.authenticationInfo;
    const now = deps.clock.now();
    // WebAuthn §7.2 step 22: a signature counter that does not grow means two authenticators may hold this
    // key. Refuse, and flag the passkey so its owner sees it; the signature was good, so only a key holder
    // can raise the flag.
    if ((info.newCounter > 0 || storedCounter > 0) && info.newCounter <= storedCounter) {
      await flagPossibleClone(deps.db, passkey.id, now);
      throw IdentityErrors.IDENTITY_PASSKEY_CLONE_SUSPECTED(
        'This passkey was refused: its use counter went backwards, which can mean it was copied. Use another factor, then remove this passkey and add it again.',
      );
    }
    const recorded = await recordPasskeyUse(deps.db, passkey.id, {
      expectedCounter: storedCounter,
      counter: info.newCounter,
      userVerified: info.userVerified,
      backedUp: info.credentialBackedUp,
      at: now,
    });
    if (!recorded) throw rejected('This passkey was used at the same moment elsewhere: try again.');
    return {
      userId: passkey.userId as UserId,
      passkeyId: passkey.id as PasskeyId,
      userVerified: info.userVerified,
    };
  }

  async function viewOf(userId: UserId, row: PasskeyRow) {
    return {
      id: row.id,
      name: await deps.vault.openOwn(deps.db, userId, nameField(row), row.nameEnc),
      deviceType: row.deviceType,
      backedUp: row.backedUp,
      createdAt: row.createdAt,
      lastUsedAt: row.lastUsedAt,
      cloneSuspectedAt: row.cloneSuspectedAt,
    };
  }

  const notify = (db: AnyDb, userId: UserId, change: 'passkey_added' | 'passkey_removed') =>
    deps.messenger.send(db, { userId }, { template: 'security_change', change, at: deps.clock.now() });

  return {
    /**
     * Options for navigator.credentials.create(). A passkey logs in on its own, so adding one needs a recent
     * authentication like any other change to how the account is entered (a fresh login counts).
     */
    async registrationOptions(principal: PersonPrincipal) {
      requireRecentAuthentication(principal, deps);
      const existing = await listPasskeys(deps.db, principal.userId);
      if (existing.length >= MAX_PASSKEYS) {
        throw IdentityErrors.IDENTITY_PASSKEY_LIMIT_REACHED(
          `An account can hold ${MAX_PASSKEYS} passkeys: remove one first.`,
        );
      }
      const email = await deps.accounts.addressOf(deps.db, principal.userId);
      const options = await generateRegistrationOptions({
        rpName: 'Bulwark',
        rpID,
        userName: email ?? principal.userId,
        userID: userHandleOf(principal.userId).bytes,
        timeout: CHALLENGE_SECONDS * 1000,
        attestationType: 'none',
        excludeCredentials: existing.map(descriptorOf),
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
        supportedAlgorithmIDs: ALGORITHMS,
      });
      return { ...(await issueChallenge('register', principal.userId, options.challenge)), options };
    },

    /** Verifies the new credential, stores it, tells the owner, and lifts an enrolment-only session. */
    async register(
      principal: PersonPrincipal,
      input: { challengeId: string; name?: string | undefined; response: RegistrationResponseBody },
      userAgent: string | undefined,
    ) {
      const userId = principal.userId;
      requireRecentAuthentication(principal, deps);
      const expectedChallenge = await useChallenge('register', input.challengeId, userId);
      const verification = await guarded(
        () =>
          verifyRegistrationResponse({
            response: input.response as RegistrationResponseJSON,
            expectedChallenge,
            expectedOrigin,
            expectedRPID: rpID,
            requireUserPresence: true,
            requireUserVerification: false,
            supportedAlgorithmIDs: ALGORITHMS,
          }),
        'The new passkey did not verify for this site.',
      );
      if (!verification.verified) throw rejected('The new passkey did not verify.');
      const info = verification.registrationInfo;
      // The library reads the credential from the authenticator data; the JSON's own ID must agree.
      if (info.credential.id !== input.response.id) {
        throw rejected('The credential ID does not match the authenticator data.');
      }
      const id = newId('passkey');
      const device = describeDevice(userAgent);
      const name = input.name?.trim() || (userAgent ? `Passkey (${device.label})` : 'Passkey');
      const transports = (input.response.response.transports ?? []).filter(isTransport).slice(0, 8);
      try {
        await withTransaction(deps.db as PasskeysDb, async (trx) => {
          await lockUser(trx, userId);
          if ((await countPasskeys(trx, userId)) >= MAX_PASSKEYS) {
            throw IdentityErrors.IDENTITY_PASSKEY_LIMIT_REACHED(
              `An account can hold ${MAX_PASSKEYS} passkeys: remove one first.`,
            );
          }
          await insertPasskey(trx, {
            id,
            userId,
            credentialId: info.credential.id,
            publicKey: isoBase64URL.fromBuffer(info.credential.publicKey),
            counter: info.credential.counter,
            transports: transports.join(','),
            deviceType: info.credentialDeviceType,
            backedUp: info.credentialBackedUp,
            userVerified: info.userVerified,
            lastUserVerified: null,
            nameEnc: await deps.vault.seal(trx, { ownerId: userId, ...nameField({ id }) }, name),
            createdAt: deps.clock.now(),
            lastUsedAt: null,
            cloneSuspectedAt: null,
          });
          await notify(trx, userId, 'passkey_added');
        });
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw IdentityErrors.IDENTITY_MFA_ALREADY_ENROLLED('This passkey is already registered.');
        }
        throw error;
      }
      await deps.sessions.reauthenticated(
        principal.sessionId,
        principal.enrolmentOnly ? 'pwd+passkey' : undefined,
      );
      const row = await findOwnPasskey(deps.db, userId, id);
      if (!row) throw new Error('passkey vanished after insert');
      return viewOf(userId, row);
    },

    async list(userId: UserId) {
      const rows = await listPasskeys(deps.db, userId);
      return Promise.all(rows.map((row) => viewOf(userId, row)));
    },

    /** Removes one of the caller's passkeys; staff keep at least one second factor. */
    async remove(principal: PersonPrincipal, id: string): Promise<void> {
      const userId = principal.userId;
      await withTransaction(deps.db as PasskeysDb, async (trx) => {
        await lockUser(trx, userId);
        // Read under the lock: a concurrent removal of the other factor waits for this one.
        const status = await deps.factors.status(userId, trx);
        const row = await findOwnPasskey(trx, userId, id);
        if (!row) throw IdentityErrors.IDENTITY_PASSKEY_NOT_FOUND('No such passkey.');
        if (principal.kind === 'staff' && !status.totp && (await countPasskeys(trx, userId)) <= 1) {
          throw IdentityErrors.IDENTITY_LAST_FACTOR(
            'Staff accounts must keep a second factor: add another passkey or an authenticator app first.',
          );
        }
        await deleteOwnPasskey(trx, userId, id);
        await notify(trx, userId, 'passkey_removed');
      });
    },

    /** Passwordless: no user yet, so the browser offers its discoverable credentials for this site. */
    loginOptions: () => requestOptions('login', null, null, 'required'),

    /** A passwordless login's assertion: user verification is required, the passkey is both factors. */
    verifyLogin: (input: { challengeId: string; response: AuthenticationResponseBody }) =>
      verifyAssertion('login', input, null, true),

    /** The second step of a password login: options for the ticket holder's own passkeys. */
    async secondFactorOptions(ticket: string) {
      const row = await deps.tokens.peek(deps.db, ticket, 'mfa_login');
      if (!row) {
        throw IdentityErrors.IDENTITY_INVALID_MFA_TICKET(
          'The login ticket is wrong or expired: log in with your password again.',
        );
      }
      const userId = row.userId as UserId;
      return requestOptions('second_factor', userId, await ownPasskeys(userId), 'preferred');
    },

    verifySecondFactor: (
      userId: UserId,
      input: { challengeId: string; response: AuthenticationResponseBody },
    ) => verifyAssertion('second_factor', input, userId, false),

    async stepUpOptions(principal: PersonPrincipal) {
      const passkeys = await ownPasskeys(principal.userId);
      return requestOptions('step_up', principal.userId, passkeys, 'preferred');
    },

    verifyStepUp: (
      principal: PersonPrincipal,
      input: { challengeId: string; response: AuthenticationResponseBody },
    ) => verifyAssertion('step_up', input, principal.userId, false),
  };
}

export type Passkeys = ReturnType<typeof createPasskeys>;

/**
 * The WebAuthn user handle: stable per account so an authenticator keeps one credential per account, opaque
 * (a digest of the user ID, never the e-mail or anything personal), 32 bytes.
 */
function userHandleOf(userId: UserId): { bytes: Uint8Array<ArrayBuffer>; encoded: string } {
  const encoded = digestToken(`webauthn-user-handle\u0000${userId}`);
  return { bytes: new Uint8Array(Buffer.from(encoded, 'base64url')), encoded };
}

function transportsOf(row: PasskeyRow): Transport[] {
  return row.transports === '' ? [] : row.transports.split(',').filter(isTransport);
}

function descriptorOf(row: PasskeyRow) {
  return { id: row.credentialId, transports: transportsOf(row) };
}

function isTransport(value: string): value is Transport {
  return (TRANSPORTS as readonly string[]).includes(value);
}
