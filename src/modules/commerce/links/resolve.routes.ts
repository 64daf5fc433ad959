import { Type } from '@sinclair/typebox';
import type { App } from '../../../platform/http/app-types.ts';
import { LinkBody } from '../orders/orders.schemas.ts';
import { ITEM_LIMITS } from './item-data.ts';
import type { ProductResolver } from './resolver.ts';

// An allow-list of what a client sees: the upstream answer itself never leaves the resolver.
const ResolvedItemResponse = Type.Object({
  marketplace: Type.String(),
  itemId: Type.String(),
  canonicalUrl: Type.String(),
  title: Type.String({ maxLength: ITEM_LIMITS.title }),
  price: Type.Integer({ minimum: 1, maximum: ITEM_LIMITS.maxPrice, description: 'CNY fen per unit' }),
  currency: Type.Literal('CNY'),
  images: Type.Array(Type.String({ format: 'uri', description: 'https, on the marketplace image hosts' }), {
    maxItems: ITEM_LIMITS.images,
  }),
  options: Type.Array(
    Type.Object({
      name: Type.String({ maxLength: ITEM_LIMITS.optionName }),
      values: Type.Array(Type.String({ maxLength: ITEM_LIMITS.optionValue }), {
        maxItems: ITEM_LIMITS.valuesPerOption,
      }),
    }),
    { maxItems: ITEM_LIMITS.options },
  ),
});

export function registerResolveRoutes(app: App, resolver: ProductResolver): void {
  app.post('/v1/links/resolve', {
    config: { access: { principal: 'shopper' } },
    schema: {
      tags: ['orders'],
      summary: "Read an item's title, price, images and options from its marketplace",
      description:
        'Only Taobao, Tmall, Weidian, 1688 and JD item links. 422 for any other link; 502 ' +
        '(COMMERCE_MARKETPLACE_UNAVAILABLE, COMMERCE_ITEM_UNREADABLE) or 504 (COMMERCE_MARKETPLACE_TIMEOUT) ' +
        'when the marketplace cannot give the item; the order form can then be filled in by hand.',
      body: LinkBody,
      response: { 200: ResolvedItemResponse },
    },
    handler: async (request) => resolver.resolve(request.body.link),
  });
}
