import { fileTypeFromBuffer } from 'file-type';
import { type AnyDb, withTransaction } from '../../../platform/db/index.ts';
import { newId } from '../../../platform/ids.ts';
import { actorOf, type Principal, type StaffPrincipal } from '../../identity/index.ts';
import { CommerceErrors } from '../commerce.errors.ts';
import type { CommerceDb, QcPhotosTable } from '../commerce.tables.ts';
import { lockOrder } from '../orders/orders.repository.ts';
import { ownerFilter } from '../scope.ts';

const ACCEPTED: Record<string, QcPhotosTable['contentType']> = {
  'image/jpeg': 'image/jpeg',
  'image/png': 'image/png',
  'image/webp': 'image/webp',
};
export const MAX_PHOTOS_PER_ORDER = 20;

/**
 * QC photos are stored in the database under random IDs, never under a name the uploader chose. The type
 * comes from the bytes, not from the header, so an HTML or SVG file sent as image/png is refused.
 */
export function createQcPhotos(deps: { db: AnyDb }) {
  const db = deps.db as unknown as CommerceDb;

  return {
    async add(principal: StaffPrincipal | Principal, orderId: string, bytes: Buffer) {
      const sniffed = await fileTypeFromBuffer(bytes);
      const contentType = sniffed ? ACCEPTED[sniffed.mime] : undefined;
      if (!contentType)
        throw CommerceErrors.COMMERCE_PHOTO_REJECTED('Only JPEG, PNG and WebP photos are accepted.');
      return withTransaction(deps.db, async (trx) => {
        const cdb = trx as unknown as CommerceDb;
        const order = await lockOrder(cdb, ownerFilter(principal, 'orders:process'), orderId);
        if (!order) throw CommerceErrors.COMMERCE_NOT_FOUND('No such order.');
        if (order.status !== 'in_warehouse') {
          throw CommerceErrors.COMMERCE_ORDER_TRANSITION_REFUSED(
            `The order is ${order.status.replaceAll('_', ' ')}; photos are taken while it is in the warehouse.`,
            { extensions: { currentStatus: order.status } },
          );
        }
        const count = await cdb
          .selectFrom('qcPhotos')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('orderId', '=', orderId)
          .executeTakeFirstOrThrow();
        if (Number(count.n) >= MAX_PHOTOS_PER_ORDER) {
          throw CommerceErrors.COMMERCE_PHOTO_LIMIT(
            `An order has at most ${MAX_PHOTOS_PER_ORDER} QC photos.`,
          );
        }
        const id = newId('photo');
        const uploadedBy = actorOf(principal).actorId ?? 'system';
        await cdb
          .insertInto('qcPhotos')
          .values({ id, orderId, contentType, sizeBytes: bytes.length, bytes, uploadedBy })
          .execute();
        return { id, contentType, sizeBytes: bytes.length };
      });
    },

    async count(trx: AnyDb, orderId: string): Promise<number> {
      const row = await (trx as unknown as CommerceDb)
        .selectFrom('qcPhotos')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('orderId', '=', orderId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** The photo's bytes, for the order's owner or staff allowed to read orders; otherwise "not found". */
    async read(principal: Principal, orderId: string, photoId: string) {
      const owner = ownerFilter(principal, 'orders:read');
      let query = db
        .selectFrom('qcPhotos')
        .innerJoin('orders', 'orders.id', 'qcPhotos.orderId')
        .select(['qcPhotos.id', 'qcPhotos.contentType', 'qcPhotos.bytes'])
        .where('qcPhotos.id', '=', photoId)
        .where('qcPhotos.orderId', '=', orderId);
      if (owner !== 'all') query = query.where('orders.userId', '=', owner.userId);
      const photo = await query.executeTakeFirst();
      if (!photo) throw CommerceErrors.COMMERCE_NOT_FOUND('No such photo.');
      return { ...photo, bytes: Buffer.from(photo.bytes) };
    },
  };
}

export type QcPhotos = ReturnType<typeof createQcPhotos>;
