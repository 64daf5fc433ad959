import type { Cursor } from '../../../platform/http/pagination.ts';
import { olderThan } from '../../../platform/http/pagination.ts';
import type { CommerceDb, OrderRow } from '../commerce.tables.ts';
import type { OrderStatus } from './order-states.ts';

export type Owner = { userId: string } | 'all';

function selectOrders(db: CommerceDb, owner: Owner) {
  const query = db.selectFrom('orders').selectAll();
  return owner === 'all' ? query : query.where('userId', '=', owner.userId);
}

export function findOrder(db: CommerceDb, owner: Owner, id: string): Promise<OrderRow | undefined> {
  return selectOrders(db, owner).where('id', '=', id).executeTakeFirst();
}

/** Locks the order row until the transaction ends: one change at a time per order. */
export function lockOrder(trx: CommerceDb, owner: Owner, id: string): Promise<OrderRow | undefined> {
  return selectOrders(trx, owner).where('id', '=', id).forUpdate().executeTakeFirst();
}

export function listOrders(
  db: CommerceDb,
  owner: Owner,
  filter: { status?: OrderStatus; limit: number; after: Cursor | null },
): Promise<OrderRow[]> {
  let query = selectOrders(db, owner)
    .orderBy('createdAt', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit + 1);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.after) query = query.where(olderThan(filter.after));
  return query.execute();
}

export function itemsOf(db: CommerceDb, orderIds: readonly string[]) {
  if (orderIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('orderItems')
    .selectAll()
    .where('orderId', 'in', orderIds)
    .orderBy('position')
    .execute();
}

export function timelineOf(db: CommerceDb, orderId: string) {
  return db
    .selectFrom('orderEvents')
    .select(['fromStatus', 'toStatus', 'actorKind', 'note', 'at'])
    .where('orderId', '=', orderId)
    .orderBy('id')
    .execute();
}

export function photosOf(db: CommerceDb, orderId: string) {
  return db
    .selectFrom('qcPhotos')
    .select(['id', 'contentType', 'sizeBytes', 'createdAt'])
    .where('orderId', '=', orderId)
    .orderBy('createdAt')
    .orderBy('id')
    .execute();
}

export async function setOrderStatus(
  trx: CommerceDb,
  order: OrderRow,
  to: OrderStatus,
  event: { actorKind: string; actorId: string | null; note?: string | null },
  extra: { weightGrams?: number; parcelId?: string | null; updatedAt: Date },
): Promise<void> {
  await trx
    .updateTable('orders')
    .set({ status: to, ...extra })
    .where('id', '=', order.id)
    .where('status', '=', order.status)
    .execute();
  await trx
    .insertInto('orderEvents')
    .values({ orderId: order.id, fromStatus: order.status, toStatus: to, note: event.note ?? null, ...event })
    .execute();
}
