import { Type } from '@sinclair/typebox';
import type { App } from '../../../platform/http/app-types.ts';
import { IdParam, Text, Timestamp } from '../../../platform/http/schema-types.ts';
import { principalOf } from '../../identity/index.ts';
import { type Customers, REVEALABLE } from './customers.service.ts';

const MaskedCustomer = Type.Object({
  id: Type.String(),
  country: Type.String(),
  createdAt: Timestamp,
  fullName: Type.String({ description: 'First name and last initial' }),
  email: Type.String({ description: 'Masked, e.g. j***@example.com' }),
  phone: Type.Union([Type.String(), Type.Null()]),
  orderCount: Type.Integer(),
  addresses: Type.Array(Type.Object({ id: Type.String(), city: Type.String(), country: Type.String() })),
});

const RevealBody = Type.Object(
  {
    fields: Type.Array(Type.Union(REVEALABLE.map((f) => Type.Literal(f))), {
      minItems: 1,
      maxItems: 4,
      uniqueItems: true,
    }),
    reason: Text({
      minLength: 10,
      maxLength: 300,
      description: 'Why you need the clear values; recorded with the read',
    }),
  },
  { additionalProperties: false },
);

const Revealed = Type.Object({
  id: Type.String(),
  fullName: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
  phone: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  addresses: Type.Optional(
    Type.Array(
      Type.Object({
        id: Type.String(),
        country: Type.String(),
        recipientName: Type.String(),
        phone: Type.String(),
        line1: Type.String(),
        line2: Type.Union([Type.String(), Type.Null()]),
        city: Type.String(),
        region: Type.Union([Type.String(), Type.Null()]),
        postalCode: Type.String(),
      }),
    ),
  ),
});

const LookUpQuery = Type.Object(
  {
    email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
    phone: Type.Optional(Type.String({ maxLength: 20 })),
  },
  { additionalProperties: false, minProperties: 1, maxProperties: 1 },
);

export function registerCustomerRoutes(app: App, customers: Customers): void {
  const tags = ['staff: customers'];
  const read = { access: { permission: 'customers:read' } } as const;
  const params = Type.Object({ id: IdParam('user') }, { additionalProperties: false });

  app.get('/v1/staff/customers', {
    config: read,
    schema: {
      tags,
      summary: 'Find a customer by exact e-mail or phone (blind index; masked results)',
      querystring: LookUpQuery,
      response: { 200: Type.Object({ items: Type.Array(MaskedCustomer) }) },
    },
    handler: async (request) => ({ items: await customers.lookUp(principalOf(request), request.query) }),
  });

  app.get('/v1/staff/customers/:id', {
    config: read,
    schema: { tags, summary: 'A customer, masked', params, response: { 200: MaskedCustomer } },
    handler: async (request) => customers.masked(principalOf(request), request.params.id),
  });

  app.post('/v1/staff/customers/:id/reveal', {
    config: { access: { permission: 'customers:reveal', stepUp: true } },
    schema: {
      tags,
      summary: 'Reveal chosen fields of a customer, with a reason (budgeted and recorded)',
      params,
      body: RevealBody,
      response: { 200: Revealed },
    },
    handler: async (request) =>
      customers.reveal(principalOf(request), request.params.id, request.body.fields, request.body.reason),
  });
}
