import type { Clock } from '../../../platform/clock.ts';
import { type AnyDb, withTransaction } from '../../../platform/db/index.ts';
import type { FieldProblem } from '../../../platform/errors.ts';
import type { Cursor } from '../../../platform/http/pagination.ts';
import { newId, type OrderId } from '../../../platform/ids.ts';
import { actorFor, actorOf, type Principal, type ShopperPrincipal } from '../../identity/index.ts';
import type { StoredField, Vault } from '../../vault/index.ts';
import { CommerceErrors } from '../commerce.errors.ts';
import type { CommerceDb, OrderItemRow, OrderRow } from '../commerce.tables.ts';
import { parseProductLink } from '../links/index.ts';
import { ownerFilter } from '../scope.ts';
import { moveMoneyOnce } from '../wallet/idempotent.ts';
import { post, SYSTEM_ACCOUNTS, walletAccountFor } from '../wallet/ledger.ts';
import { nextOrderStatus, type OrderAction, type OrderStatus } from './order-states.ts';
import {
  findOrder,
  itemsOf,
  listOrders,
  lockOrder,
  type Owner,
  photosOf,
  setOrderStatus,
  timelineOf,
} from './orders.repository.ts';

export interface NewOrderItem {
  readonly link: string;
  readonly title: string;
  readonly options?: string | null;
  readonly quantity: number;
  readonly unitPrice: number;
}

export interface NewOrder {
  readonly items: readonly NewOrderItem[];
  readonly domesticShipping: number;
  readonly note?: string | null;
}

// The agent's fee: 5% of the goods, rounded up to the fen.
export const serviceFeeFor = (itemsTotal: number) => Math.ceil(itemsTotal / 20);
// 100 million CNY: no real shopping-agent order comes near; anything above is an error or an attack.
export const MAX_ORDER_TOTAL = 10_000_000_000;

export function createOrders(deps: { db: AnyDb; clock: Clock; vault: Vault }) {
  const db = deps.db as unknown as CommerceDb;
  const notFound = () => CommerceErrors.COMMERCE_NOT_FOUND('No such order.');

  /**
   * The shopper's own words on an order (the note, item options such as an engraving). The shopper reads
   * them directly; staff only through a reveal, for the purpose of fulfilling the order.
   */
  async function privateText(
    trx: CommerceDb,
    principal: Principal,
    order: OrderRow,
    items: readonly OrderItemRow[],
  ) {
    const fields: Record<string, StoredField> = {
      note: { table: 'orders', column: 'note', rowId: order.id, ciphertext: order.noteEnc },
    };
    for (const item of items) {
      fields[item.id] = {
        table: 'order_items',
        column: 'options',
        rowId: item.id,
        ciphertext: item.optionsEnc,
      };
    }
    if (principal.kind === 'shopper') {
      const out: Record<string, string | null> = {};
      for (const [name, field] of Object.entries(fields)) {
        out[name] = await deps.vault.openOwnOptional(trx, order.userId, field, field.ciphertext);
      }
      return out;
    }
    return deps.vault.reveal(trx, {
      actor: actorFor(principal),
      subjectId: order.userId,
      permission: 'orders:read',
      purpose: 'order fulfilment',
      fields,
    });
  }

  async function view(trx: CommerceDb, principal: Principal, order: OrderRow) {
    const [items, timeline, photos] = await Promise.all([
      itemsOf(trx, [order.id]),
      timelineOf(trx, order.id),
      photosOf(trx, order.id),
    ]);
    const text = await privateText(trx, principal, order, items);
    return {
      ...summary(order, items, text.note ?? null),
      items: items.map((item) => itemView(item, text[item.id] ?? null)),
      timeline,
      photos,
    };
  }

  async function lockScoped(
    trx: CommerceDb,
    principal: Principal,
    id: string,
    permission: 'orders:process' | 'orders:read',
  ) {
    const order = await lockOrder(trx, ownerFilter(principal, permission), id);
    if (!order) throw notFound();
    return order;
  }

  /** Moves one order along one edge of the state machine, recording who did it. */
  async function move(
    trx: CommerceDb,
    principal: Principal,
    order: OrderRow,
    action: OrderAction,
    extra: { weightGrams?: number; parcelId?: string | null; note?: string | null } = {},
  ): Promise<OrderRow> {
    const to = nextOrderStatus(order.status, action);
    const { note, ...columns } = extra;
    const updatedAt = deps.clock.now();
    await setOrderStatus(
      trx,
      order,
      to,
      { ...actorOf(principal), note: note ?? null },
      { ...columns, updatedAt },
    );
    return { ...order, ...columns, status: to, updatedAt };
  }

  /** Returns an order's whole price to the shopper's wallet, once: the key is derived from the order. */
  async function refund(
    principal: Principal,
    order: OrderRow,
    action: 'refund' | 'completeReturn',
    note: string | null,
  ) {
    // '/' is refused in a client's Idempotency-Key, so no shopper can take this key before the refund does.
    const key = `refund/${order.id}`;
    return moveMoneyOnce(deps.db, {
      userId: order.userId,
      idempotencyKey: key,
      fingerprint: key,
      perform: async (trx) => {
        const locked = await lockScoped(
          trx,
          { kind: 'system', purpose: 'refund' },
          order.id,
          'orders:process',
        );
        const moved = await move(trx, principal, locked, action, { note });
        const wallet = await walletAccountFor(trx, order.userId);
        await post(trx, {
          kind: 'refund',
          userId: order.userId,
          amount: order.total,
          reference: order.id,
          idempotencyKey: key,
          fingerprint: key,
          legs: [
            { accountId: SYSTEM_ACCOUNTS.purchaseEscrow, amount: -order.total },
            { accountId: wallet.id, amount: order.total },
          ],
        });
        return view(trx, principal, moved);
      },
      replay: async (trx) => view(trx, principal, (await findOrder(trx, 'all', order.id)) as OrderRow),
    });
  }

  async function transition(
    principal: Principal,
    id: string,
    action: OrderAction,
    extra: { weightGrams?: number; note?: string | null } = {},
  ) {
    return withTransaction(deps.db, async (trx) => {
      const cdb = trx as unknown as CommerceDb;
      const order = await lockScoped(cdb, principal, id, 'orders:process');
      if (
        action === 'markQcReady' &&
        order.status === 'in_warehouse' &&
        (await photosOf(cdb, id)).length === 0
      ) {
        throw CommerceErrors.COMMERCE_QC_PHOTOS_REQUIRED(
          'Upload at least one QC photo before asking the shopper to review.',
        );
      }
      return view(cdb, principal, await move(cdb, principal, order, action, extra));
    });
  }

  return {
    async create(principal: ShopperPrincipal, input: NewOrder) {
      const problems: FieldProblem[] = [];
      const links = input.items.map((item, index) => {
        const parsed = parseProductLink(item.link);
        if (!parsed.ok) problems.push({ field: `body.items[${index}].link`, message: parsed.message });
        return parsed.ok ? parsed.link : null;
      });
      if (problems.length > 0) {
        throw CommerceErrors.COMMERCE_LINK_REFUSED('Some product links are not supported.', {
          errors: problems,
        });
      }
      const itemsTotal = input.items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);
      const serviceFee = serviceFeeFor(itemsTotal);
      const total = itemsTotal + input.domesticShipping + serviceFee;
      if (total > MAX_ORDER_TOTAL) {
        throw CommerceErrors.COMMERCE_AMOUNT_OUT_OF_RANGE(
          `An order may total at most ${MAX_ORDER_TOTAL / 100} CNY.`,
          {
            errors: [{ field: 'body.items', message: 'adds up to more than an order may total' }],
          },
        );
      }
      const id = newId('order');
      return withTransaction(deps.db, async (trx) => {
        const cdb = trx as unknown as CommerceDb;
        await cdb
          .insertInto('orders')
          .values({
            id,
            userId: principal.userId,
            status: 'draft',
            itemsTotal,
            domesticShipping: input.domesticShipping,
            serviceFee,
            total,
            noteEnc: await deps.vault.sealOptional(
              trx,
              { ownerId: principal.userId, table: 'orders', column: 'note', rowId: id },
              input.note,
            ),
          })
          .execute();
        const rows = [];
        for (const [position, item] of input.items.entries()) {
          const link = links[position] as NonNullable<(typeof links)[number]>;
          const itemId = newId('orderItem');
          const options = {
            ownerId: principal.userId,
            table: 'order_items',
            column: 'options',
            rowId: itemId,
          };
          rows.push({
            id: itemId,
            orderId: id,
            position,
            marketplace: link.marketplace,
            marketplaceItemId: link.itemId,
            canonicalUrl: link.canonicalUrl,
            title: item.title,
            optionsEnc: await deps.vault.sealOptional(trx, options, item.options),
            quantity: item.quantity,
            unitPrice: item.unitPrice,
          });
        }
        await cdb.insertInto('orderItems').values(rows).execute();
        await cdb
          .insertInto('orderEvents')
          .values({ orderId: id, fromStatus: null, toStatus: 'draft', ...actorOf(principal), note: null })
          .execute();
        return view(cdb, principal, (await findOrder(cdb, 'all', id)) as OrderRow);
      });
    },

    /** Summaries; the shopper's private text (note, options) only on the shopper's own list. */
    async list(principal: Principal, filter: { status?: OrderStatus; limit: number; after: Cursor | null }) {
      const owner: Owner = ownerFilter(principal, 'orders:read');
      const rows = await listOrders(db, owner, filter);
      const items = await itemsOf(
        db,
        rows.map((row) => row.id),
      );
      return Promise.all(
        rows.map(async (row) => {
          const own = items.filter((item) => item.orderId === row.id);
          const text: Record<string, string | null> =
            principal.kind === 'shopper' ? await privateText(db, principal, row, own) : {};
          return {
            ...summary(row, own, text.note ?? null),
            items: own.map((item) => itemView(item, text[item.id] ?? null)),
          };
        }),
      );
    },

    async get(principal: Principal, id: string) {
      const order = await findOrder(db, ownerFilter(principal, 'orders:read'), id);
      if (!order) throw notFound();
      return view(db, principal, order);
    },

    /** Pays a draft from the wallet, at most once per idempotency key and once per order. */
    pay(principal: ShopperPrincipal, id: OrderId | string, idempotencyKey: string) {
      return moveMoneyOnce(deps.db, {
        userId: principal.userId,
        idempotencyKey,
        fingerprint: `order_payment:${id}`,
        perform: async (trx) => {
          const order = await lockScoped(trx, principal, id, 'orders:process');
          const moved = await move(trx, principal, order, 'pay');
          const wallet = await walletAccountFor(trx, principal.userId);
          await post(trx, {
            kind: 'order_payment',
            userId: principal.userId,
            amount: order.total,
            reference: order.id,
            idempotencyKey,
            fingerprint: `order_payment:${id}`,
            legs: [
              { accountId: wallet.id, amount: -order.total },
              { accountId: SYSTEM_ACCOUNTS.purchaseEscrow, amount: order.total },
            ],
          });
          return view(trx, principal, moved);
        },
        replay: async (trx) => {
          const order = await findOrder(trx, { userId: principal.userId }, id);
          if (!order) throw notFound();
          return view(trx, principal, order);
        },
      });
    },

    /** The shopper's cancel: an unpaid draft is withdrawn; a paid order not yet bought is refunded. */
    async cancelByShopper(principal: ShopperPrincipal, id: string) {
      const order = await findOrder(db, { userId: principal.userId }, id);
      if (!order) throw notFound();
      if (order.status === 'draft') return transition(principal, id, 'withdraw');
      nextOrderStatus(order.status, 'refund');
      return (await refund(principal, order, 'refund', 'cancelled by the shopper')).result;
    },

    /** Staff cancel: a draft is cancelled; a paid order that cannot be bought is refunded. */
    async cancelByStaff(principal: Principal, id: string, reason: string) {
      const order = await findOrder(db, ownerFilter(principal, 'orders:process'), id);
      if (!order) throw notFound();
      if (order.status === 'draft') return transition(principal, id, 'cancel', { note: reason });
      nextOrderStatus(order.status, 'refund');
      return (await refund(principal, order, 'refund', reason)).result;
    },

    async completeReturn(principal: Principal, id: string) {
      const order = await findOrder(db, ownerFilter(principal, 'orders:process'), id);
      if (!order) throw notFound();
      nextOrderStatus(order.status, 'completeReturn');
      return (await refund(principal, order, 'completeReturn', 'returned to the seller')).result;
    },

    transition,

    /** For parcels: moves the shopper's orders together inside the parcel's transaction. */
    async moveForParcel(
      trx: AnyDb,
      principal: Principal,
      userId: string,
      orderIds: readonly string[],
      action: 'parcel' | 'unparcel' | 'ship' | 'deliver',
      parcelId: string | null,
    ): Promise<OrderRow[]> {
      const cdb = trx as unknown as CommerceDb;
      const moved: OrderRow[] = [];
      for (const id of [...orderIds].sort()) {
        const order = await lockOrder(cdb, { userId }, id);
        if (!order) throw notFound();
        const extra = action === 'parcel' || action === 'unparcel' ? { parcelId } : {};
        moved.push(await move(cdb, principal, order, action, extra));
      }
      return moved;
    },

    async orderIdsInParcel(trx: AnyDb, parcelId: string): Promise<string[]> {
      const rows = await (trx as unknown as CommerceDb)
        .selectFrom('orders')
        .select('id')
        .where('parcelId', '=', parcelId)
        .execute();
      return rows.map((row) => row.id);
    },
  };
}

function summary(order: OrderRow, items: readonly OrderItemRow[], note: string | null) {
  return {
    id: order.id,
    status: order.status,
    currency: order.currency,
    itemsTotal: order.itemsTotal,
    domesticShipping: order.domesticShipping,
    serviceFee: order.serviceFee,
    total: order.total,
    note,
    weightGrams: order.weightGrams,
    parcelId: order.parcelId,
    itemCount: items.length,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}

function itemView(item: OrderItemRow, options: string | null) {
  return {
    id: item.id,
    marketplace: item.marketplace,
    itemId: item.marketplaceItemId,
    url: item.canonicalUrl,
    title: item.title,
    options,
    quantity: item.quantity,
    unitPrice: item.unitPrice,
    lineTotal: item.quantity * item.unitPrice,
  };
}

export type Orders = ReturnType<typeof createOrders>;
export type OrderView = Awaited<ReturnType<Orders['get']>>;
