import { Type } from '@sinclair/typebox';
import { CountryCode, IdParam, Text, Timestamp } from '../../platform/http/schema-types.ts';
import { STAFF_ROLES } from './principal.ts';

const Email = Type.String({ format: 'email', maxLength: 254 });
// Length is checked by the service so that the refusal can explain itself; this only bounds the work.
const Password = Type.String({ minLength: 1, maxLength: 1024 });
const FullName = Text({ minLength: 1, maxLength: 200 });
const Phone = Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$', description: 'E.164, e.g. +4915112345678' });
const Language = Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$', maxLength: 12 });
const MfaCode = Type.String({ pattern: '^[0-9]{6}$' });

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
  userAgent: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  lastSeenAt: Timestamp,
  expiresAt: Timestamp,
  current: Type.Boolean(),
});

export const SessionList = Type.Object({ items: Type.Array(SessionResponse) });
export const SessionParams = Type.Object({ id: IdParam('session') }, { additionalProperties: false });
