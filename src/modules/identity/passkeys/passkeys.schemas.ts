import { type Static, Type } from '@sinclair/typebox';
import { IdParam, Text, Timestamp } from '../../../platform/http/schema-types.ts';

/**
 * WebAuthn JSON as browsers produce it (`PublicKeyCredential.toJSON()`, @simplewebauthn/browser): binary
 * fields are unpadded base64url, each bounded well above what real authenticators send, so the library
 * never parses more than a few kilobytes of attacker-chosen CBOR.
 */
const Base64Url = (maxLength: number, description?: string) =>
  Type.String({
    pattern: '^[A-Za-z0-9_-]+$',
    minLength: 1,
    maxLength,
    ...(description ? { description } : {}),
  });

// A credential ID is at most 1023 bytes (WebAuthn §5.8.3): 1364 base64url characters.
const CredentialId = Base64Url(1364);
const Transport = Type.String({ pattern: '^[a-z-]{1,20}$' });
const Attachment = Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')]);

/**
 * WARNING: the one open object in these bodies. We request no extensions and read none of their outputs,
 * but browsers and password managers report some unasked (credProps); refusing them would refuse real
 * clients. Bounded in members; the body limit bounds the rest.
 */
const ClientExtensionResults = Type.Object(
  { credProps: Type.Optional(Type.Object({ rk: Type.Optional(Type.Boolean()) })) },
  { additionalProperties: true, maxProperties: 16 },
);

export const RegistrationResponse = Type.Object(
  {
    id: CredentialId,
    rawId: CredentialId,
    type: Type.Literal('public-key'),
    response: Type.Object(
      {
        clientDataJSON: Base64Url(4096),
        attestationObject: Base64Url(16_384),
        transports: Type.Optional(Type.Array(Transport, { maxItems: 10 })),
        // Conveniences some browsers add; the attestation object is what counts.
        authenticatorData: Type.Optional(Base64Url(8192)),
        publicKey: Type.Optional(Base64Url(4096)),
        publicKeyAlgorithm: Type.Optional(Type.Integer({ minimum: -65_536, maximum: 65_535 })),
      },
      { additionalProperties: false },
    ),
    clientExtensionResults: ClientExtensionResults,
    authenticatorAttachment: Type.Optional(Attachment),
  },
  { additionalProperties: false, description: 'navigator.credentials.create() result, as JSON' },
);

export const AuthenticationResponse = Type.Object(
  {
    id: CredentialId,
    rawId: CredentialId,
    type: Type.Literal('public-key'),
    response: Type.Object(
      {
        clientDataJSON: Base64Url(4096),
        authenticatorData: Base64Url(4096),
        signature: Base64Url(2048),
        userHandle: Type.Optional(Type.Union([Base64Url(128), Type.Null()])),
      },
      { additionalProperties: false },
    ),
    clientExtensionResults: ClientExtensionResults,
    authenticatorAttachment: Type.Optional(Attachment),
  },
  { additionalProperties: false, description: 'navigator.credentials.get() result, as JSON' },
);

const ChallengeId = IdParam('webauthnChallenge');
// The ticket from a 401 IDENTITY_MFA_REQUIRED answer.
const MfaTicket = Type.String({ pattern: '^bw_mt_[A-Za-z0-9_-]{43}$', maxLength: 60 });

export const RegisterPasskeyBody = Type.Object(
  {
    challengeId: ChallengeId,
    name: Type.Optional(Text({ minLength: 1, maxLength: 64, description: 'Your label for it' })),
    response: RegistrationResponse,
  },
  { additionalProperties: false },
);

export const PasskeyAssertionBody = Type.Object(
  { challengeId: ChallengeId, response: AuthenticationResponse },
  { additionalProperties: false },
);

export const MfaTicketBody = Type.Object({ mfaTicket: MfaTicket }, { additionalProperties: false });

export const MfaPasskeyBody = Type.Object(
  { mfaTicket: MfaTicket, challengeId: ChallengeId, response: AuthenticationResponse },
  { additionalProperties: false },
);

export const PasskeyParams = Type.Object({ id: IdParam('passkey') }, { additionalProperties: false });

const CredentialDescriptor = Type.Object({
  id: Type.String(),
  type: Type.String({ description: 'public-key' }),
  transports: Type.Optional(Type.Array(Type.String())),
});

/** Pass `options` to navigator.credentials.create() (after decoding its base64url fields). */
export const CreationOptions = Type.Object({
  challengeId: Type.String(),
  expiresAt: Timestamp,
  options: Type.Object({
    challenge: Type.String(),
    rp: Type.Object({ name: Type.String(), id: Type.Optional(Type.String()) }),
    user: Type.Object({ id: Type.String(), name: Type.String(), displayName: Type.String() }),
    pubKeyCredParams: Type.Array(Type.Object({ alg: Type.Integer(), type: Type.String() })),
    timeout: Type.Optional(Type.Integer()),
    attestation: Type.Optional(Type.String()),
    excludeCredentials: Type.Optional(Type.Array(CredentialDescriptor)),
    authenticatorSelection: Type.Optional(
      Type.Object({
        residentKey: Type.Optional(Type.String()),
        requireResidentKey: Type.Optional(Type.Boolean()),
        userVerification: Type.Optional(Type.String()),
        authenticatorAttachment: Type.Optional(Type.String()),
      }),
    ),
    extensions: Type.Optional(Type.Object({ credProps: Type.Optional(Type.Boolean()) })),
    hints: Type.Optional(Type.Array(Type.String())),
  }),
});

/** Pass `options` to navigator.credentials.get() (after decoding its base64url fields). */
export const RequestOptions = Type.Object({
  challengeId: Type.String(),
  expiresAt: Timestamp,
  options: Type.Object({
    challenge: Type.String(),
    rpId: Type.Optional(Type.String()),
    allowCredentials: Type.Optional(Type.Array(CredentialDescriptor)),
    timeout: Type.Optional(Type.Integer()),
    userVerification: Type.Optional(Type.String()),
  }),
});

export const PasskeyView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  deviceType: Type.Union([Type.Literal('singleDevice'), Type.Literal('multiDevice')], {
    description: 'multiDevice: a synced passkey (e.g. in a password manager or platform account)',
  }),
  backedUp: Type.Boolean(),
  createdAt: Timestamp,
  lastUsedAt: Type.Union([Timestamp, Type.Null()]),
  cloneSuspectedAt: Type.Union([Timestamp, Type.Null()], {
    description:
      'When a use of it was refused because its signature counter went backwards (it may have been copied): consider removing it',
  }),
});

export const PasskeyList = Type.Object({ items: Type.Array(PasskeyView) });

export type RegistrationResponseBody = Static<typeof RegistrationResponse>;
export type AuthenticationResponseBody = Static<typeof AuthenticationResponse>;
