import { Type } from '@sinclair/typebox';
import type { App } from '../../../platform/http/app-types.ts';
import { loadPage, pageSchema } from '../../../platform/http/pagination.ts';
import { shopperOf } from '../../identity/index.ts';
import { CommerceErrors } from '../commerce.errors.ts';
import { parseProductLink } from '../links/index.ts';
import type { QcPhotos } from '../warehouse/qc-photos.service.ts';
import {
  IdempotencyHeaders,
  LinkBody,
  LinkResponse,
  NewOrderBody,
  OrderListQuery,
  OrderParams,
  OrderResponse,
  OrderSummary,
  PhotoParams,
} from './orders.schemas.ts';
import type { Orders } from './orders.service.ts';
import { sendPhoto } from './send-photo.ts';

export function registerShopperOrderRoutes(app: App, orders: Orders, photos: QcPhotos): void {
  const config = { access: { principal: 'shopper' } } as const;
  const tags = ['orders'];

  app.post('/v1/links/parse', {
    config,
    schema: {
      tags,
      summary: 'Check and normalize a product link',
      body: LinkBody,
      response: { 200: LinkResponse },
    },
    handler: async (request) => {
      const parsed = parseProductLink(request.body.link);
      if (!parsed.ok) {
        throw CommerceErrors.COMMERCE_LINK_REFUSED(parsed.message, {
          errors: [{ field: 'body.link', message: parsed.message }],
        });
      }
      return parsed.link;
    },
  });

  app.post('/v1/orders', {
    config,
    schema: {
      tags,
      summary: 'Create a draft order from product links',
      body: NewOrderBody,
      response: { 201: OrderResponse },
    },
    handler: async (request, reply) =>
      reply.code(201).send(await orders.create(shopperOf(request), request.body)),
  });

  app.get('/v1/orders', {
    config,
    schema: {
      tags,
      summary: 'Your orders, newest first',
      querystring: OrderListQuery,
      response: { 200: pageSchema(OrderSummary) },
    },
    handler: async (request) => loadPage(request.query, (page) => orders.list(shopperOf(request), page)),
  });

  app.get('/v1/orders/:id', {
    config,
    schema: {
      tags,
      summary: 'One of your orders with its timeline',
      params: OrderParams,
      response: { 200: OrderResponse },
    },
    handler: async (request) => orders.get(shopperOf(request), request.params.id),
  });

  app.post('/v1/orders/:id/pay', {
    config,
    schema: {
      tags,
      summary: 'Pay a draft order from your wallet',
      params: OrderParams,
      headers: IdempotencyHeaders,
      response: { 200: OrderResponse },
    },
    handler: async (request, reply) => {
      const { result, replayed } = await orders.pay(
        shopperOf(request),
        request.params.id,
        request.headers['idempotency-key'],
      );
      if (replayed) reply.header('idempotent-replayed', 'true');
      return result;
    },
  });

  const shopperSteps = [
    {
      path: 'cancel',
      summary: 'Cancel: a draft is withdrawn, a paid order not yet bought is refunded',
      run: orders.cancelByShopper,
    },
    {
      path: 'approve',
      summary: 'Approve the QC photos',
      run: (p, id) => orders.transition(p, id, 'approve'),
    },
    {
      path: 'return',
      summary: 'Refuse the item after QC and ask for a return',
      run: (p, id) => orders.transition(p, id, 'requestReturn'),
    },
  ] satisfies {
    path: string;
    summary: string;
    run: (p: ReturnType<typeof shopperOf>, id: string) => Promise<unknown>;
  }[];

  for (const step of shopperSteps) {
    app.post(`/v1/orders/:id/${step.path}`, {
      config,
      schema: { tags, summary: step.summary, params: OrderParams, response: { 200: OrderResponse } },
      handler: async (request) => step.run(shopperOf(request), request.params.id) as never,
    });
  }

  app.get('/v1/orders/:id/photos/:photoId', {
    config,
    schema: {
      tags,
      summary: 'A QC photo of your order',
      params: PhotoParams,
      response: { 200: Type.String({ contentMediaType: 'image/*', contentEncoding: 'binary' }) },
    },
    handler: async (request, reply) =>
      sendPhoto(reply, await photos.read(shopperOf(request), request.params.id, request.params.photoId)),
  });
}
