import { Type } from '@sinclair/typebox';
import { MinorUnits, Timestamp } from '../../../platform/http/schema-types.ts';

export const WalletResponse = Type.Object({ balance: Type.Integer(), currency: Type.Literal('CNY') });

export const TopUpBody = Type.Object(
  { amount: MinorUnits({ minimum: 100, maximum: 100_000_000, description: 'CNY fen: 1 to 1,000,000 CNY' }) },
  { additionalProperties: false },
);

export const WithdrawalBody = Type.Object(
  { amount: MinorUnits({ minimum: 100, maximum: 100_000_000, description: 'CNY fen: 1 to 1,000,000 CNY' }) },
  { additionalProperties: false },
);

export const WalletTransactionResponse = Type.Object({
  id: Type.String(),
  kind: Type.Union([
    Type.Literal('top_up'),
    Type.Literal('order_payment'),
    Type.Literal('shipping_payment'),
    Type.Literal('refund'),
    Type.Literal('withdrawal'),
  ]),
  amount: Type.Integer({ description: 'Signed, from the wallet’s point of view' }),
  reference: Type.Union([Type.String(), Type.Null()]),
  balanceAfter: Type.Integer(),
  createdAt: Timestamp,
});
