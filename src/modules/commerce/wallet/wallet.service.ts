import type { Config } from '../../../config/index.ts';
import type { AnyDb } from '../../../platform/db/index.ts';
import { type Cursor, olderThan } from '../../../platform/http/pagination.ts';
import type { UserId } from '../../../platform/ids.ts';
import { CommerceErrors } from '../commerce.errors.ts';
import type { CommerceDb, LedgerTransactionRow } from '../commerce.tables.ts';
import { moveMoneyOnce } from './idempotent.ts';
import { post, SYSTEM_ACCOUNTS, walletAccountFor, walletBalanceAfter } from './ledger.ts';

export interface WalletTransaction {
  readonly id: string;
  readonly kind: LedgerTransactionRow['kind'];
  /** Signed from the wallet's point of view: top-ups and refunds are positive, payments negative. */
  readonly amount: number;
  readonly reference: string | null;
  readonly balanceAfter: number;
  readonly createdAt: Date;
}

export async function toWalletTransaction(
  trx: CommerceDb,
  row: LedgerTransactionRow,
): Promise<WalletTransaction> {
  const incoming = row.kind === 'top_up' || row.kind === 'refund';
  return {
    id: row.id,
    kind: row.kind,
    amount: incoming ? row.amount : -row.amount,
    reference: row.reference,
    balanceAfter: (await walletBalanceAfter(trx, row.id)) ?? 0,
    createdAt: row.createdAt,
  };
}

export function createWallet(deps: { db: AnyDb; config: Config }) {
  const db = deps.db as unknown as CommerceDb;

  function moveThroughProvider(
    userId: UserId,
    kind: 'top_up' | 'withdrawal',
    amount: number,
    idempotencyKey: string,
  ) {
    if (!deps.config.devPayments)
      throw CommerceErrors.COMMERCE_PAYMENTS_DISABLED('No payment provider is configured.');
    const fingerprint = `${kind}:${amount}`;
    const sign = kind === 'top_up' ? 1 : -1;
    return moveMoneyOnce(deps.db, {
      userId,
      idempotencyKey,
      fingerprint,
      perform: async (trx) => {
        const wallet = await walletAccountFor(trx, userId);
        const row = await post(trx, {
          kind,
          userId,
          amount,
          reference: null,
          idempotencyKey,
          fingerprint,
          legs: [
            { accountId: SYSTEM_ACCOUNTS.paymentProvider, amount: -sign * amount },
            { accountId: wallet.id, amount: sign * amount },
          ],
        });
        return toWalletTransaction(trx, row);
      },
      replay: toWalletTransaction,
    });
  }

  return {
    async balance(userId: UserId): Promise<{ balance: number; currency: 'CNY' }> {
      const row = await db
        .selectFrom('ledgerAccounts')
        .select('balance')
        .where('ownerId', '=', userId)
        .where('kind', '=', 'wallet')
        .executeTakeFirst();
      return { balance: row?.balance ?? 0, currency: 'CNY' };
    },

    /** Adds money through the development payment provider; refused where no real provider is set up. */
    topUp: (userId: UserId, amount: number, idempotencyKey: string) =>
      moveThroughProvider(userId, 'top_up', amount, idempotencyKey),

    /** Pays money back out to the shopper through the same provider; never below a zero balance. */
    withdraw: (userId: UserId, amount: number, idempotencyKey: string) =>
      moveThroughProvider(userId, 'withdrawal', amount, idempotencyKey),

    async history(userId: UserId, limit: number, after: Cursor | null): Promise<WalletTransaction[]> {
      let query = db
        .selectFrom('ledgerTransactions')
        .selectAll()
        .where('userId', '=', userId)
        .orderBy('createdAt', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1);
      if (after) query = query.where(olderThan(after));
      const rows = await query.execute();
      return Promise.all(rows.map((row) => toWalletTransaction(db, row)));
    },
  };
}

export type Wallet = ReturnType<typeof createWallet>;
