import { sql } from 'kysely';
import { newId } from '../../../platform/ids.ts';
import { CommerceErrors } from '../commerce.errors.ts';
import type { CommerceDb, LedgerTransactionKind, LedgerTransactionRow } from '../commerce.tables.ts';

export const SYSTEM_ACCOUNTS = {
  paymentProvider: 'acc_payment_provider',
  purchaseEscrow: 'acc_purchase_escrow',
  shippingRevenue: 'acc_shipping_revenue',
} as const;

export interface Leg {
  readonly accountId: string;
  /** Positive credits the account, negative debits it. */
  readonly amount: number;
}

export interface Posting {
  readonly kind: LedgerTransactionKind;
  readonly userId: string;
  readonly amount: number;
  readonly reference: string | null;
  readonly idempotencyKey: string;
  readonly fingerprint: string;
  readonly legs: readonly Leg[];
}

/** The user's wallet account, created on first use. Locks it for the rest of the transaction. */
export async function walletAccountFor(
  trx: CommerceDb,
  userId: string,
): Promise<{ id: string; balance: number }> {
  await trx
    .insertInto('ledgerAccounts')
    .values({ id: newId('ledgerAccount'), kind: 'wallet', ownerId: userId })
    .onConflict((oc) => oc.column('ownerId').doNothing())
    .execute();
  return trx
    .selectFrom('ledgerAccounts')
    .select(['id', 'balance'])
    .where('ownerId', '=', userId)
    .where('kind', '=', 'wallet')
    .forUpdate()
    .executeTakeFirstOrThrow();
}

export function findTransactionByKey(trx: CommerceDb, userId: string, key: string) {
  return trx
    .selectFrom('ledgerTransactions')
    .selectAll()
    .where('userId', '=', userId)
    .where('idempotencyKey', '=', key)
    .executeTakeFirst();
}

/**
 * Posts one balanced transaction: the legs sum to zero, every touched account is locked in ID order (so
 * two postings cannot deadlock), and no wallet may end below zero. Must run inside a transaction.
 */
export async function post(trx: CommerceDb, posting: Posting): Promise<LedgerTransactionRow> {
  const sum = posting.legs.reduce((total, leg) => total + leg.amount, 0);
  if (sum !== 0 || posting.legs.some((leg) => leg.amount === 0 || !Number.isSafeInteger(leg.amount))) {
    throw new Error('a ledger posting must balance and move whole, non-zero amounts');
  }
  const id = newId('ledgerTransaction');
  await trx
    .insertInto('ledgerTransactions')
    .values({
      id,
      kind: posting.kind,
      userId: posting.userId,
      amount: posting.amount,
      reference: posting.reference,
      idempotencyKey: posting.idempotencyKey,
      requestFingerprint: posting.fingerprint,
      // Stamped now, under the wallet lock, to the millisecond and after the user's previous transaction:
      // the statement lists money moves in the order they happened (the transaction's start time, `now()`,
      // is not), and cursors, which hold milliseconds, never skip one.
      createdAt: sql<Date>`greatest(date_trunc('milliseconds', clock_timestamp()), (select max(created_at) + interval '1 millisecond' from ledger_transactions where user_id = ${posting.userId}))`,
    })
    .execute();
  const legs = [...posting.legs].sort((a, b) => (a.accountId < b.accountId ? -1 : 1));
  for (const leg of legs) {
    const account = await trx
      .selectFrom('ledgerAccounts')
      .select(['kind', 'balance'])
      .where('id', '=', leg.accountId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const balanceAfter = account.balance + leg.amount;
    if (account.kind === 'wallet' && balanceAfter < 0) {
      throw CommerceErrors.COMMERCE_INSUFFICIENT_FUNDS('The wallet balance is too low: top up first.', {
        extensions: { balance: account.balance, required: -leg.amount },
      });
    }
    await trx
      .updateTable('ledgerAccounts')
      .set({ balance: sql<number>`balance + ${leg.amount}` })
      .where('id', '=', leg.accountId)
      .execute();
    await trx
      .insertInto('ledgerEntries')
      .values({ transactionId: id, accountId: leg.accountId, amount: leg.amount, balanceAfter })
      .execute();
  }
  return trx.selectFrom('ledgerTransactions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** The wallet's balance after a given transaction (what the transaction left behind). */
export async function walletBalanceAfter(trx: CommerceDb, transactionId: string): Promise<number | null> {
  const row = await trx
    .selectFrom('ledgerEntries')
    .innerJoin('ledgerAccounts', 'ledgerAccounts.id', 'ledgerEntries.accountId')
    .select('ledgerEntries.balanceAfter')
    .where('ledgerEntries.transactionId', '=', transactionId)
    .where('ledgerAccounts.kind', '=', 'wallet')
    .executeTakeFirst();
  return row?.balanceAfter ?? null;
}
