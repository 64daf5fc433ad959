import { Type } from '@sinclair/typebox';
import { CountryCode, IdParam, Text, Timestamp } from '../../../platform/http/schema-types.ts';

const Phone = Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$', description: 'E.164' });

const addressFields = {
  label: Type.Optional(Type.Union([Text({ minLength: 1, maxLength: 40 }), Type.Null()])),
  recipientName: Text({ minLength: 1, maxLength: 200 }),
  phone: Phone,
  line1: Text({ minLength: 1, maxLength: 200 }),
  line2: Type.Optional(Type.Union([Text({ minLength: 1, maxLength: 200 }), Type.Null()])),
  city: Text({ minLength: 1, maxLength: 100 }),
  region: Type.Optional(Type.Union([Text({ minLength: 1, maxLength: 100 }), Type.Null()])),
  postalCode: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9 -]{1,10}[A-Za-z0-9]$' }),
  country: CountryCode,
  isDefault: Type.Optional(Type.Boolean()),
};

export const AddressBody = Type.Object(addressFields, { additionalProperties: false });
export const AddressPatch = Type.Partial(Type.Object(addressFields), {
  additionalProperties: false,
  minProperties: 1,
});

export const AddressResponse = Type.Object({
  id: Type.String(),
  label: Type.Union([Type.String(), Type.Null()]),
  recipientName: Type.String(),
  phone: Type.String(),
  line1: Type.String(),
  line2: Type.Union([Type.String(), Type.Null()]),
  city: Type.String(),
  region: Type.Union([Type.String(), Type.Null()]),
  postalCode: Type.String(),
  country: Type.String(),
  isDefault: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const AddressParams = Type.Object({ id: IdParam('address') }, { additionalProperties: false });
