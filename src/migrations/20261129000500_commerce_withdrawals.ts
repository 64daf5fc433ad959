import { sql } from 'kysely';
import type { MigrationDb } from './migration-db.ts';

/** Shoppers can take money out of their wallet (a sensitive action behind step-up). */
export async function up(db: MigrationDb): Promise<void> {
  await sql`alter table ledger_transactions drop constraint ledger_transactions_kind_check`.execute(db);
  await sql`alter table ledger_transactions add constraint ledger_transactions_kind_check
    check (kind in ('top_up', 'order_payment', 'shipping_payment', 'refund', 'withdrawal'))`.execute(db);
}

export async function down(db: MigrationDb): Promise<void> {
  await sql`alter table ledger_transactions drop constraint ledger_transactions_kind_check`.execute(db);
  await sql`alter table ledger_transactions add constraint ledger_transactions_kind_check
    check (kind in ('top_up', 'order_payment', 'shipping_payment', 'refund'))`.execute(db);
}
