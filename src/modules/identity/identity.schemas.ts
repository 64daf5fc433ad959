import { Type } from '@sinclair/typebox';
import { CountryCode, IdParam, Text, Timestamp } from '../../platform/http/schema-types.ts';
import { STAFF_ROLES } from './principal.ts';

const Email = Type.String({ format: 'email', maxLength: 254 });
// Length is checked by the service so that the refusal can explain itself; this only bounds the work.
const Password = Type.String({ minLength: 1, maxLength: 1024 });
const FullName = Text({ minLength: 1, maxLength: 200 });
const Phone = Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$', description: 'E.164, e.g. +4915112345678' });
const Language = Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$', maxLength: 12 });
const MfaCode = Type.String({
  pattern: '^([0-9]{6}|[0-9A-Za-z]{5}-?[0-9A-Za-z]{5})$',
  description: 'Six digits from the authenticator app, or a recovery code such as 7KQ2M-X9DPA',
});
/** A secret from a link or a login step: our tokens are short and URL-safe. */
const LinkToken = Type.String({ pattern: '^bw_[a-z]{2}_[A-Za-z0-9_-]{43}$', maxLength: 60 });
const Mode = Type.Union([Type.Literal('token'), Type.Literal('web')]);

export const RegisterBody = Type.Object(
  {
    email: Email,
    password: Password,
    fullName: FullName,
    phone: Type.Optional(Phone),
    country: CountryCode,
    language: Type.Optional(Language),
  },
  { additionalProperties: false },
);

export const RegisterResponse = Type.Object({ status: Type.Literal('accepted'), message: Type.String() });

export const CredentialsBody = Type.Object(
  { email: Email, password: Password, mfaCode: Type.Optional(MfaCode) },
  { additionalProperties: false },
);

export const MfaCodeBody = Type.Object(
  { mfaTicket: LinkToken, code: MfaCode },
  { additionalProperties: false },
);

export const StepUpBody = Type.Object(
  { password: Type.Optional(Password), code: Type.Optional(MfaCode) },
  { additionalProperties: false, minProperties: 1 },
);

export const StepUpResponse = Type.Object({ authenticatedAt: Timestamp, validUntil: Timestamp });

export const EmailBody = Type.Object({ email: Email }, { additionalProperties: false });
export const TokenBody = Type.Object({ token: LinkToken }, { additionalProperties: false });
export const ResetConfirmBody = Type.Object(
  { token: LinkToken, password: Password },
  { additionalProperties: false },
);
export const PasswordChangeBody = Type.Object(
  { currentPassword: Password, newPassword: Password },
  { additionalProperties: false },
);
export const Accepted = Type.Object({ status: Type.Literal('accepted'), message: Type.String() });
export const TotpCodeBody = Type.Object(
  { code: Type.String({ pattern: '^[0-9]{6}$' }) },
  { additionalProperties: false },
);
export const TotpSetup = Type.Object({ secret: Type.String(), otpauthUri: Type.String() });
export const RecoveryCodes = Type.Object({ recoveryCodes: Type.Array(Type.String()) });
export const FactorStatus = Type.Object({
  totp: Type.Boolean(),
  passkeys: Type.Integer(),
  recoveryCodesLeft: Type.Integer(),
});
export const LoginModeBody = Type.Object({ mode: Mode }, { additionalProperties: false });

export const ApiKeyBody = Type.Object(
  {
    name: Text({ minLength: 1, maxLength: 100 }),
    scopes: Type.Array(Type.String({ maxLength: 40 }), { minItems: 1, maxItems: 20 }),
    expiresInDays: Type.Integer({ minimum: 1, maximum: 365 }),
  },
  { additionalProperties: false },
);
export const ApiKeyView = Type.Object({
  id: Type.String(),
  prefix: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  revokedAt: Type.Union([Timestamp, Type.Null()]),
  lastUsedAt: Type.Union([Timestamp, Type.Null()]),
});
export const ApiKeyCreated = Type.Composite([
  ApiKeyView,
  Type.Object({ key: Type.String({ description: 'Shown once' }) }),
]);
export const ApiKeyParams = Type.Object({ id: IdParam('apiKey') }, { additionalProperties: false });

export const StaffParams = Type.Object({ id: IdParam('user') }, { additionalProperties: false });

export const StaffRoleBody = Type.Object(
  {
    role: Type.Union(STAFF_ROLES.map((role) => Type.Literal(role))),
    reason: Text({ minLength: 3, maxLength: 500, description: 'Why; recorded in the trail' }),
  },
  { additionalProperties: false },
);

export const StaffRoleChanged = Type.Object({
  id: Type.String(),
  role: Type.Union(STAFF_ROLES.map((role) => Type.Literal(role))),
  previousRole: Type.Union(STAFF_ROLES.map((role) => Type.Literal(role))),
});

export const RefreshBody = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const TokensResponse = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
  tokenType: Type.Literal('Bearer'),
});

export const WebLoginResponse = Type.Object({
  csrfToken: Type.String({ description: 'Send as X-CSRF-Token on every unsafe request of this session' }),
  expiresAt: Timestamp,
});

export const ProfileResponse = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('shopper'), Type.Literal('staff')]),
  role: Type.Union([Type.Union(STAFF_ROLES.map((r) => Type.Literal(r))), Type.Null()]),
  email: Type.String(),
  fullName: Type.String(),
  phone: Type.Union([Type.String(), Type.Null()]),
  country: Type.String(),
  language: Type.String(),
  createdAt: Timestamp,
});

export const ProfilePatch = Type.Object(
  {
    fullName: Type.Optional(FullName),
    phone: Type.Optional(Type.Union([Phone, Type.Null()])),
    country: Type.Optional(CountryCode),
    language: Type.Optional(Language),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const SessionResponse = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('api'), Type.Literal('web')]),
  device: Type.String({ description: 'Browser and system, e.g. "Firefox on Linux"' }),
  place: Type.Union([Type.String(), Type.Null()], { description: 'Country the session was opened from' }),
  network: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  lastSeenAt: Timestamp,
  expiresAt: Timestamp,
  current: Type.Boolean(),
});

export const SessionList = Type.Object({ items: Type.Array(SessionResponse) });
export const SessionParams = Type.Object({ id: IdParam('session') }, { additionalProperties: false });
