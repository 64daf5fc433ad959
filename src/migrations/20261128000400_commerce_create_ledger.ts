import { sql } from 'kysely';
import type { MigrationDb } from './migration-db.ts';

export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('ledger_accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind in ('wallet', 'payment_provider', 'purchase_escrow', 'shipping_revenue')`),
    )
    .addColumn('owner_id', 'text', (c) => c.unique())
    .addColumn('balance', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // A shopper's wallet can never go negative; the service checks first, this is the second wall.
    .addCheckConstraint('ledger_wallet_not_negative', sql`kind <> 'wallet' or balance >= 0`)
    .addCheckConstraint('ledger_wallet_has_owner', sql`(kind = 'wallet') = (owner_id is not null)`)
    .execute();

  await db.schema
    .createTable('ledger_transactions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind in ('top_up', 'order_payment', 'shipping_payment', 'refund')`),
    )
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('reference', 'text')
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    // What the request asked for; a reused key with a different request is refused, not replayed.
    .addColumn('request_fingerprint', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('ledger_transactions_idempotency', ['user_id', 'idempotency_key'])
    .execute();
  await db.schema
    .createIndex('ledger_transactions_user_idx')
    .on('ledger_transactions')
    .columns(['user_id', 'id'])
    .execute();

  await db.schema
    .createTable('ledger_entries')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('transaction_id', 'text', (c) => c.notNull().references('ledger_transactions.id'))
    .addColumn('account_id', 'text', (c) => c.notNull().references('ledger_accounts.id'))
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount <> 0`))
    .addColumn('balance_after', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('ledger_entries_txn_idx')
    .on('ledger_entries')
    .column('transaction_id')
    .execute();
  await db.schema
    .createIndex('ledger_entries_account_idx')
    .on('ledger_entries')
    .column('account_id')
    .execute();

  // The platform's own accounts exist from the start; their IDs are fixed names, not user data.
  await db
    .insertInto('ledger_accounts')
    .values([
      { id: 'acc_payment_provider', kind: 'payment_provider' },
      { id: 'acc_purchase_escrow', kind: 'purchase_escrow' },
      { id: 'acc_shipping_revenue', kind: 'shipping_revenue' },
    ])
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('ledger_entries').execute();
  await db.schema.dropTable('ledger_transactions').execute();
  await db.schema.dropTable('ledger_accounts').execute();
}
