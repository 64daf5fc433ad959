import { Type } from '@sinclair/typebox';
import { PageQuery } from '../../../platform/http/pagination.ts';
import { IdParam, MinorUnits, Text, Timestamp } from '../../../platform/http/schema-types.ts';
import { ORDER_STATUSES } from './order-states.ts';

export const OrderStatusSchema = Type.Union(ORDER_STATUSES.map((s) => Type.Literal(s)));

export const NewOrderBody = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        {
          link: Type.String({
            minLength: 1,
            maxLength: 2048,
            description: 'A Taobao, Tmall, Weidian, 1688 or JD item link',
          }),
          title: Text({ minLength: 1, maxLength: 300 }),
          options: Type.Optional(Type.Union([Text({ minLength: 1, maxLength: 300 }), Type.Null()])),
          quantity: Type.Integer({ minimum: 1, maximum: 999 }),
          unitPrice: MinorUnits({ minimum: 1, maximum: 100_000_000, description: 'CNY fen per unit' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50 },
    ),
    domesticShipping: MinorUnits({
      minimum: 0,
      maximum: 10_000_000,
      description: 'CNY fen, seller to warehouse',
    }),
    note: Type.Optional(Type.Union([Text({ minLength: 1, maxLength: 500 }), Type.Null()])),
  },
  { additionalProperties: false },
);

const OrderItem = Type.Object({
  id: Type.String(),
  marketplace: Type.String(),
  itemId: Type.String(),
  url: Type.String(),
  title: Type.String(),
  options: Type.Union([Type.String(), Type.Null()]),
  quantity: Type.Integer(),
  unitPrice: Type.Integer(),
  lineTotal: Type.Integer(),
});

const summaryFields = {
  id: Type.String(),
  status: OrderStatusSchema,
  currency: Type.String(),
  itemsTotal: Type.Integer(),
  domesticShipping: Type.Integer(),
  serviceFee: Type.Integer(),
  total: Type.Integer(),
  note: Type.Union([Type.String(), Type.Null()]),
  weightGrams: Type.Union([Type.Integer(), Type.Null()]),
  parcelId: Type.Union([Type.String(), Type.Null()]),
  itemCount: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  items: Type.Array(OrderItem),
};

export const TimelineEntry = Type.Object({
  fromStatus: Type.Union([Type.String(), Type.Null()]),
  toStatus: Type.String(),
  actorKind: Type.String(),
  note: Type.Union([Type.String(), Type.Null()]),
  at: Timestamp,
});

export const OrderSummary = Type.Object(summaryFields);
export const OrderResponse = Type.Object({
  ...summaryFields,
  timeline: Type.Array(TimelineEntry),
  photos: Type.Array(
    Type.Object({
      id: Type.String(),
      contentType: Type.String(),
      sizeBytes: Type.Integer(),
      createdAt: Timestamp,
    }),
  ),
});

export const OrderListQuery = Type.Composite(
  [PageQuery, Type.Object({ status: Type.Optional(OrderStatusSchema) })],
  {
    additionalProperties: false,
  },
);
export const OrderParams = Type.Object({ id: IdParam('order') }, { additionalProperties: false });
export const PhotoParams = Type.Object(
  { id: IdParam('order'), photoId: IdParam('photo') },
  { additionalProperties: false },
);

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.String({
    // Only these characters: keys Bulwark derives itself (`refund/<order>`) use others, so a client cannot take them.
    pattern: '^[A-Za-z0-9_.-]{8,100}$',
    description:
      'A unique key per payment attempt (8-100 of A-Z a-z 0-9 _ . -); retries with the same key are never charged twice',
  }),
});

export const ArrivalBody = Type.Object(
  { weightGrams: Type.Integer({ minimum: 1, maximum: 100_000 }) },
  { additionalProperties: false },
);
export const ReasonBody = Type.Object(
  { reason: Text({ minLength: 3, maxLength: 300 }) },
  { additionalProperties: false },
);
export const PhotoResponse = Type.Object({
  id: Type.String(),
  contentType: Type.String(),
  sizeBytes: Type.Integer(),
});

export const LinkBody = Type.Object(
  { link: Type.String({ minLength: 1, maxLength: 4096 }) },
  { additionalProperties: false },
);
export const LinkResponse = Type.Object({
  marketplace: Type.String(),
  itemId: Type.String(),
  canonicalUrl: Type.String(),
});
