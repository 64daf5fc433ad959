import { Type } from '@sinclair/typebox';
import type { App } from '../../../platform/http/app-types.ts';
import { loadPage, pageSchema } from '../../../platform/http/pagination.ts';
import { principalOf, shopperOf } from '../../identity/index.ts';
import { IdempotencyHeaders } from '../orders/orders.schemas.ts';
import {
  NewParcelBody,
  PackBody,
  ParcelAddressBody,
  ParcelListQuery,
  ParcelParams,
  ParcelResponse,
  ShipBody,
  ShippingLineResponse,
} from './parcels.schemas.ts';
import type { Parcels } from './parcels.service.ts';
import { SHIPPING_LINES } from './shipping-lines.ts';

export function registerParcelRoutes(app: App, parcels: Parcels): void {
  const shopper = { access: { principal: 'shopper' } } as const;
  const tags = ['parcels'];

  app.get('/v1/shipping-lines', {
    config: { access: { principal: 'any' } },
    schema: {
      tags,
      summary: 'Shipping lines and their prices',
      response: { 200: Type.Object({ items: Type.Array(ShippingLineResponse) }) },
    },
    handler: async () => ({
      items: SHIPPING_LINES.map((line) => ({
        ...line,
        destinations: line.destinations === 'worldwide' ? ('worldwide' as const) : [...line.destinations],
      })),
    }),
  });

  app.post('/v1/parcels', {
    config: shopper,
    schema: {
      tags,
      summary: 'Consolidate approved orders into a parcel',
      body: NewParcelBody,
      response: { 201: ParcelResponse },
    },
    handler: async (request, reply) =>
      reply.code(201).send(await parcels.create(shopperOf(request), request.body)),
  });

  app.get('/v1/parcels', {
    config: shopper,
    schema: {
      tags,
      summary: 'Your parcels, newest first',
      querystring: ParcelListQuery,
      response: { 200: pageSchema(ParcelResponse) },
    },
    handler: async (request) => loadPage(request.query, (page) => parcels.list(shopperOf(request), page)),
  });

  app.get('/v1/parcels/:id', {
    config: shopper,
    schema: { tags, summary: 'One of your parcels', params: ParcelParams, response: { 200: ParcelResponse } },
    handler: async (request) => parcels.get(shopperOf(request), request.params.id),
  });

  app.post('/v1/parcels/:id/pay', {
    config: shopper,
    schema: {
      tags,
      summary: 'Pay the quoted shipping fee from your wallet',
      params: ParcelParams,
      headers: IdempotencyHeaders,
      response: { 200: ParcelResponse },
    },
    handler: async (request, reply) => {
      const { result, replayed } = await parcels.pay(
        shopperOf(request),
        request.params.id,
        request.headers['idempotency-key'],
      );
      if (replayed) reply.header('idempotent-replayed', 'true');
      return result;
    },
  });

  app.post('/v1/parcels/:id/cancel', {
    config: shopper,
    schema: {
      tags,
      summary: 'Cancel a parcel before it is paid; its orders go back to approved',
      params: ParcelParams,
      response: { 200: ParcelResponse },
    },
    handler: async (request) => parcels.cancel(shopperOf(request), request.params.id),
  });

  app.post('/v1/parcels/:id/address', {
    config: { access: { principal: 'shopper', stepUp: true } },
    schema: {
      tags,
      summary: 'Send a parcel that has not shipped to another of your addresses',
      description: 'A sensitive action: needs an authentication within the last few minutes (step-up).',
      params: ParcelParams,
      body: ParcelAddressBody,
      response: { 200: ParcelResponse },
    },
    handler: async (request) =>
      parcels.changeAddress(shopperOf(request), request.params.id, request.body.addressId),
  });

  registerStaffParcelRoutes(app, parcels);
}

function registerStaffParcelRoutes(app: App, parcels: Parcels): void {
  const tags = ['staff: parcels'];
  const process = { access: { permission: 'parcels:process' } } as const;

  app.get('/v1/staff/parcels', {
    config: { access: { permission: 'orders:read' } },
    schema: {
      tags,
      summary: 'The parcel queue',
      querystring: ParcelListQuery,
      response: { 200: pageSchema(ParcelResponse) },
    },
    handler: async (request) => loadPage(request.query, (page) => parcels.list(principalOf(request), page)),
  });

  app.post('/v1/staff/parcels/:id/pack', {
    config: process,
    schema: {
      tags,
      summary: 'Pack and weigh: quotes the shipping fee',
      params: ParcelParams,
      body: PackBody,
      response: { 200: ParcelResponse },
    },
    handler: async (request) =>
      parcels.pack(principalOf(request), request.params.id, request.body.weightGrams),
  });

  app.post('/v1/staff/parcels/:id/ship', {
    config: process,
    schema: {
      tags,
      summary: 'Hand over to the carrier with a tracking number',
      params: ParcelParams,
      body: ShipBody,
      response: { 200: ParcelResponse },
    },
    handler: async (request) =>
      parcels.ship(principalOf(request), request.params.id, request.body.trackingNumber),
  });

  app.post('/v1/staff/parcels/:id/delivered', {
    config: process,
    schema: {
      tags,
      summary: 'The carrier reports delivery',
      params: ParcelParams,
      response: { 200: ParcelResponse },
    },
    handler: async (request) => parcels.deliver(principalOf(request), request.params.id),
  });
}
