import { sql } from 'kysely';
import type { MigrationDb } from './migration-db.ts';

const ORDER_STATES = [
  'draft',
  'paid',
  'purchasing',
  'purchased',
  'in_warehouse',
  'qc_ready',
  'approved',
  'return_requested',
  'parcelled',
  'shipped',
  'delivered',
  'withdrawn',
  'cancelled',
  'refunded',
];

export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('addresses')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('label_enc', 'text')
    .addColumn('recipient_name_enc', 'text', (c) => c.notNull())
    .addColumn('phone_enc', 'text', (c) => c.notNull())
    .addColumn('line1_enc', 'text', (c) => c.notNull())
    .addColumn('line2_enc', 'text')
    .addColumn('city_enc', 'text', (c) => c.notNull())
    .addColumn('region_enc', 'text')
    .addColumn('postal_code_enc', 'text', (c) => c.notNull())
    .addColumn('country', 'char(2)', (c) => c.notNull())
    .addColumn('is_default', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('addresses_user_idx').on('addresses').columns(['user_id', 'id']).execute();

  await db.schema
    .createTable('parcels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('requested', 'packed', 'paid', 'shipped', 'delivered', 'cancelled')`),
    )
    .addColumn('shipping_line', 'text', (c) => c.notNull())
    .addColumn('declared_value', 'bigint', (c) => c.notNull().check(sql`declared_value > 0`))
    .addColumn('destination_country', 'char(2)', (c) => c.notNull())
    .addColumn('address_enc', 'text', (c) => c.notNull())
    .addColumn('weight_grams', 'integer', (c) => c.check(sql`weight_grams > 0`))
    .addColumn('shipping_fee', 'bigint', (c) => c.check(sql`shipping_fee >= 0`))
    .addColumn('tracking_number', 'text')
    // Millisecond precision, the precision of list cursors: finer times let pages skip rows.
    .addColumn('created_at', 'timestamptz', (c) =>
      c.notNull().defaultTo(sql`date_trunc('milliseconds', now())`),
    )
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('parcels_user_idx').on('parcels').columns(['user_id', 'id']).execute();

  await db.schema
    .createTable('orders')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql.raw(`status in (${ORDER_STATES.map((s) => `'${s}'`).join(', ')})`)),
    )
    .addColumn('currency', 'char(3)', (c) => c.notNull().defaultTo('CNY'))
    .addColumn('items_total', 'bigint', (c) => c.notNull().check(sql`items_total >= 0`))
    .addColumn('domestic_shipping', 'bigint', (c) => c.notNull().check(sql`domestic_shipping >= 0`))
    .addColumn('service_fee', 'bigint', (c) => c.notNull().check(sql`service_fee >= 0`))
    .addColumn('total', 'bigint', (c) => c.notNull())
    .addColumn('note_enc', 'text')
    .addColumn('weight_grams', 'integer', (c) => c.check(sql`weight_grams > 0`))
    .addColumn('parcel_id', 'text', (c) => c.references('parcels.id'))
    // Millisecond precision, the precision of list cursors: finer times let pages skip rows.
    .addColumn('created_at', 'timestamptz', (c) =>
      c.notNull().defaultTo(sql`date_trunc('milliseconds', now())`),
    )
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('orders_total_adds_up', sql`total = items_total + domestic_shipping + service_fee`)
    .execute();
  await db.schema.createIndex('orders_user_idx').on('orders').columns(['user_id', 'id']).execute();
  await db.schema.createIndex('orders_status_idx').on('orders').columns(['status', 'id']).execute();

  await db.schema
    .createTable('order_items')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('marketplace', 'text', (c) => c.notNull())
    .addColumn('marketplace_item_id', 'text', (c) => c.notNull())
    .addColumn('canonical_url', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('options_enc', 'text')
    .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity between 1 and 999`))
    .addColumn('unit_price', 'bigint', (c) => c.notNull().check(sql`unit_price > 0`))
    .execute();
  await db.schema
    .createIndex('order_items_order_idx')
    .on('order_items')
    .columns(['order_id', 'position'])
    .execute();

  await createTimeline(db, 'order_events', 'order_id', 'orders.id');
  await createTimeline(db, 'parcel_events', 'parcel_id', 'parcels.id');

  await db.schema
    .createTable('qc_photos')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id').onDelete('cascade'))
    .addColumn('content_type', 'text', (c) =>
      c.notNull().check(sql`content_type in ('image/jpeg', 'image/png', 'image/webp')`),
    )
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addColumn('bytes', 'bytea', (c) => c.notNull())
    .addColumn('uploaded_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('qc_photos_order_idx').on('qc_photos').columns(['order_id', 'id']).execute();
}

async function createTimeline(
  db: MigrationDb,
  table: string,
  owner: string,
  references: string,
): Promise<void> {
  await db.schema
    .createTable(table)
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn(owner, 'text', (c) => c.notNull().references(references).onDelete('cascade'))
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('actor_kind', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('note', 'text')
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex(`${table}_owner_idx`).on(table).columns([owner, 'id']).execute();
}

export async function down(db: MigrationDb): Promise<void> {
  for (const table of [
    'qc_photos',
    'parcel_events',
    'order_events',
    'order_items',
    'orders',
    'parcels',
    'addresses',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
