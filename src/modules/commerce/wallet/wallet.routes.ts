import type { App } from '../../../platform/http/app-types.ts';
import { loadPage, PageQuery, pageSchema } from '../../../platform/http/pagination.ts';
import { shopperOf } from '../../identity/index.ts';
import { IdempotencyHeaders } from '../orders/orders.schemas.ts';
import { TopUpBody, WalletResponse, WalletTransactionResponse, WithdrawalBody } from './wallet.schemas.ts';
import type { Wallet } from './wallet.service.ts';

export function registerWalletRoutes(app: App, wallet: Wallet): void {
  const config = { access: { principal: 'shopper' } } as const;
  const tags = ['wallet'];

  app.get('/v1/wallet', {
    config,
    schema: { tags, summary: 'Your wallet balance', response: { 200: WalletResponse } },
    handler: async (request) => wallet.balance(shopperOf(request).userId),
  });

  app.get('/v1/wallet/transactions', {
    config,
    schema: {
      tags,
      summary: 'Your wallet history, newest first',
      querystring: PageQuery,
      response: { 200: pageSchema(WalletTransactionResponse) },
    },
    handler: async (request) =>
      loadPage(request.query, (page) => wallet.history(shopperOf(request).userId, page.limit, page.after)),
  });

  app.post('/v1/wallet/top-ups', {
    config,
    schema: {
      tags,
      summary: 'Add money (development payment provider)',
      body: TopUpBody,
      headers: IdempotencyHeaders,
      response: { 201: WalletTransactionResponse },
    },
    handler: async (request, reply) => {
      const { result, replayed } = await wallet.topUp(
        shopperOf(request).userId,
        request.body.amount,
        request.headers['idempotency-key'],
      );
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(result);
    },
  });

  app.post('/v1/wallet/withdrawals', {
    config: { access: { principal: 'shopper', stepUp: true } },
    schema: {
      tags,
      summary: 'Take money out of your wallet (development payment provider)',
      description: 'A sensitive action: needs an authentication within the last few minutes (step-up).',
      body: WithdrawalBody,
      headers: IdempotencyHeaders,
      response: { 201: WalletTransactionResponse },
    },
    handler: async (request, reply) => {
      const { result, replayed } = await wallet.withdraw(
        shopperOf(request).userId,
        request.body.amount,
        request.headers['idempotency-key'],
      );
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(result);
    },
  });
}
