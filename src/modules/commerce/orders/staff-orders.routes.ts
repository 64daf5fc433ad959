import { Type } from '@sinclair/typebox';
import type { Config } from '../../../config/index.ts';
import type { App } from '../../../platform/http/app-types.ts';
import { loadPage, pageSchema } from '../../../platform/http/pagination.ts';
import { type Principal, principalOf } from '../../identity/index.ts';
import type { QcPhotos } from '../warehouse/qc-photos.service.ts';
import {
  ArrivalBody,
  OrderListQuery,
  OrderParams,
  OrderResponse,
  OrderSummary,
  PhotoParams,
  PhotoResponse,
  ReasonBody,
} from './orders.schemas.ts';
import type { Orders } from './orders.service.ts';
import { sendPhoto } from './send-photo.ts';

const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/octet-stream'];

/** The agent's side of the order lifecycle: purchasing, warehouse arrival, QC photos, cancellations. */
export function registerStaffOrderRoutes(app: App, orders: Orders, photos: QcPhotos, config: Config): void {
  const tags = ['staff: orders'];
  const read = { access: { permission: 'orders:read' } } as const;
  const process = { access: { permission: 'orders:process' } } as const;

  app.get('/v1/staff/orders', {
    config: read,
    schema: {
      tags,
      summary: 'The order queue',
      querystring: OrderListQuery,
      response: { 200: pageSchema(OrderSummary) },
    },
    handler: async (request) => loadPage(request.query, (page) => orders.list(principalOf(request), page)),
  });

  app.get('/v1/staff/orders/:id', {
    config: read,
    schema: { tags, summary: 'One order', params: OrderParams, response: { 200: OrderResponse } },
    handler: async (request) => orders.get(principalOf(request), request.params.id),
  });

  const steps = [
    {
      path: 'purchasing',
      summary: 'Start buying from the seller',
      run: (p: Principal, id: string) => orders.transition(p, id, 'startPurchase'),
    },
    {
      path: 'purchased',
      summary: 'The seller accepted the purchase',
      run: (p: Principal, id: string) => orders.transition(p, id, 'markPurchased'),
    },
    {
      path: 'qc-ready',
      summary: 'QC photos are ready for the shopper',
      run: (p: Principal, id: string) => orders.transition(p, id, 'markQcReady'),
    },
    {
      path: 'return-completed',
      summary: 'The return reached the seller: refund the shopper',
      run: orders.completeReturn,
    },
  ];
  for (const step of steps) {
    app.post(`/v1/staff/orders/:id/${step.path}`, {
      config: process,
      schema: { tags, summary: step.summary, params: OrderParams, response: { 200: OrderResponse } },
      handler: async (request) => step.run(principalOf(request), request.params.id),
    });
  }

  app.post('/v1/staff/orders/:id/arrival', {
    config: process,
    schema: {
      tags,
      summary: 'The item arrived at the warehouse',
      params: OrderParams,
      body: ArrivalBody,
      response: { 200: OrderResponse },
    },
    handler: async (request) =>
      orders.transition(principalOf(request), request.params.id, 'markArrived', {
        weightGrams: request.body.weightGrams,
      }),
  });

  app.post('/v1/staff/orders/:id/cancel', {
    config: process,
    schema: {
      tags,
      summary: 'Cancel: a draft is cancelled, a paid order is refunded',
      params: OrderParams,
      body: ReasonBody,
      response: { 200: OrderResponse },
    },
    handler: async (request) =>
      orders.cancelByStaff(principalOf(request), request.params.id, request.body.reason),
  });

  app.get('/v1/staff/orders/:id/photos/:photoId', {
    config: read,
    schema: {
      tags,
      summary: 'A QC photo',
      params: PhotoParams,
      response: { 200: Type.String({ contentMediaType: 'image/*' }) },
    },
    handler: async (request, reply) =>
      sendPhoto(reply, await photos.read(principalOf(request), request.params.id, request.params.photoId)),
  });

  // Image bodies are accepted on this one route only, in their own context, up to the photo size limit.
  app.register(async (scope: App) => {
    scope.addContentTypeParser(
      PHOTO_TYPES,
      { parseAs: 'buffer', bodyLimit: config.photoLimitBytes },
      (_request, body, done) => done(null, body),
    );
    scope.post('/v1/staff/orders/:id/photos', {
      config: process,
      bodyLimit: config.photoLimitBytes,
      schema: {
        tags,
        summary: 'Upload a QC photo (JPEG, PNG or WebP; the type is read from the bytes)',
        params: OrderParams,
        response: { 201: PhotoResponse },
      },
      handler: async (request, reply) => {
        const body = request.body;
        const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
        return reply.code(201).send(await photos.add(principalOf(request), request.params.id, bytes));
      },
    });
  });
}
