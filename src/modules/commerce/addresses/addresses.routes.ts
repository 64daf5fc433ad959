import { Type } from '@sinclair/typebox';
import type { App } from '../../../platform/http/app-types.ts';
import { NoContent } from '../../../platform/http/schema-types.ts';
import { shopperOf } from '../../identity/index.ts';
import { AddressBody, AddressParams, AddressPatch, AddressResponse } from './addresses.schemas.ts';
import type { Addresses } from './addresses.service.ts';

export function registerAddressRoutes(app: App, addresses: Addresses): void {
  const config = { access: { principal: 'shopper' } } as const;
  const tags = ['addresses'];

  app.get('/v1/me/addresses', {
    config,
    schema: {
      tags,
      summary: 'Your address book',
      response: { 200: Type.Object({ items: Type.Array(AddressResponse) }) },
    },
    handler: async (request) => ({ items: await addresses.list(shopperOf(request)) }),
  });

  app.post('/v1/me/addresses', {
    config,
    schema: { tags, summary: 'Add an address', body: AddressBody, response: { 201: AddressResponse } },
    handler: async (request, reply) =>
      reply.code(201).send(await addresses.create(shopperOf(request), request.body)),
  });

  app.get('/v1/me/addresses/:id', {
    config,
    schema: {
      tags,
      summary: 'One of your addresses',
      params: AddressParams,
      response: { 200: AddressResponse },
    },
    handler: async (request) => addresses.get(shopperOf(request), request.params.id),
  });

  app.patch('/v1/me/addresses/:id', {
    config,
    schema: {
      tags,
      summary: 'Change an address',
      params: AddressParams,
      body: AddressPatch,
      response: { 200: AddressResponse },
    },
    handler: async (request) => addresses.update(shopperOf(request), request.params.id, request.body),
  });

  app.delete('/v1/me/addresses/:id', {
    config,
    schema: { tags, summary: 'Delete an address', params: AddressParams, response: { 204: NoContent } },
    handler: async (request, reply) => {
      await addresses.remove(shopperOf(request), request.params.id);
      return reply.code(204).send();
    },
  });
}
