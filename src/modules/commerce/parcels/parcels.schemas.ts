import { Type } from '@sinclair/typebox';
import { PageQuery } from '../../../platform/http/pagination.ts';
import { IdParam, MinorUnits, Timestamp } from '../../../platform/http/schema-types.ts';
import { AddressResponse } from '../addresses/addresses.schemas.ts';
import { TimelineEntry } from '../orders/orders.schemas.ts';
import { PARCEL_STATUSES } from './parcel-states.ts';

const ParcelStatusSchema = Type.Union(PARCEL_STATUSES.map((s) => Type.Literal(s)));

export const NewParcelBody = Type.Object(
  {
    orderIds: Type.Array(IdParam('order'), { minItems: 1, maxItems: 30, uniqueItems: true }),
    shippingLine: Type.String({ pattern: '^[a-z0-9-]{2,40}$' }),
    addressId: IdParam('address'),
    declaredValue: MinorUnits({
      minimum: 100,
      maximum: 1_000_000_000,
      description: 'Customs value in CNY fen',
    }),
  },
  { additionalProperties: false },
);

// The address as it was when the parcel was made: later edits to the address book do not move parcels.
const ShippingAddress = Type.Omit(AddressResponse, ['id', 'label', 'isDefault', 'createdAt', 'updatedAt']);

export const ParcelResponse = Type.Object({
  id: Type.String(),
  status: ParcelStatusSchema,
  shippingLine: Type.String(),
  declaredValue: Type.Integer(),
  destinationCountry: Type.String(),
  weightGrams: Type.Union([Type.Integer(), Type.Null()]),
  shippingFee: Type.Union([Type.Integer(), Type.Null()]),
  trackingNumber: Type.Union([Type.String(), Type.Null()]),
  orderIds: Type.Array(Type.String()),
  address: Type.Union([ShippingAddress, Type.Null()]),
  timeline: Type.Array(TimelineEntry),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const ParcelListQuery = Type.Composite(
  [PageQuery, Type.Object({ status: Type.Optional(ParcelStatusSchema) })],
  {
    additionalProperties: false,
  },
);
export const ParcelAddressBody = Type.Object(
  { addressId: IdParam('address') },
  { additionalProperties: false },
);
export const ParcelParams = Type.Object({ id: IdParam('parcel') }, { additionalProperties: false });
export const PackBody = Type.Object(
  { weightGrams: Type.Integer({ minimum: 1, maximum: 100_000 }) },
  { additionalProperties: false },
);
export const ShipBody = Type.Object(
  { trackingNumber: Type.String({ pattern: '^[A-Z0-9]{8,40}$' }) },
  { additionalProperties: false },
);

export const ShippingLineResponse = Type.Object({
  id: Type.String(),
  name: Type.String(),
  destinations: Type.Union([Type.Literal('worldwide'), Type.Array(Type.String())]),
  firstWeightGrams: Type.Integer(),
  firstWeightFee: Type.Integer(),
  extraPer500gFee: Type.Integer(),
  maxWeightGrams: Type.Integer(),
});
