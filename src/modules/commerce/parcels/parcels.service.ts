import type { Clock } from '../../../platform/clock.ts';
import { type AnyDb, withTransaction } from '../../../platform/db/index.ts';
import { type Cursor, olderThan } from '../../../platform/http/pagination.ts';
import { newId } from '../../../platform/ids.ts';
import { actorOf, type Principal, type ShopperPrincipal } from '../../identity/index.ts';
import type { Vault } from '../../vault/index.ts';
import type { Address, Addresses } from '../addresses/addresses.service.ts';
import { CommerceErrors } from '../commerce.errors.ts';
import type { CommerceDb, ParcelRow } from '../commerce.tables.ts';
import type { Orders } from '../orders/orders.service.ts';
import { ownerFilter } from '../scope.ts';
import { moveMoneyOnce } from '../wallet/idempotent.ts';
import { post, SYSTEM_ACCOUNTS, walletAccountFor } from '../wallet/ledger.ts';
import { nextParcelStatus, type ParcelAction, type ParcelStatus } from './parcel-states.ts';
import { findShippingLine, serves, shippingFee } from './shipping-lines.ts';

export interface NewParcel {
  readonly orderIds: readonly string[];
  readonly shippingLine: string;
  readonly addressId: string;
  readonly declaredValue: number;
}

type Owner = { userId: string } | 'all';

export interface ParcelsDeps {
  readonly db: AnyDb;
  readonly clock: Clock;
  readonly vault: Vault;
  readonly orders: Orders;
  readonly addresses: Addresses;
}

const ADDRESS_FIELD = { table: 'parcels', column: 'address' } as const;
const ADDRESS_CHANGEABLE: readonly ParcelStatus[] = ['requested', 'packed', 'paid'];

export function createParcels(deps: ParcelsDeps) {
  const db = deps.db as unknown as CommerceDb;
  const notFound = () => CommerceErrors.COMMERCE_NOT_FOUND('No such parcel.');

  const selectParcels = (trx: CommerceDb, owner: Owner) => {
    const query = trx.selectFrom('parcels').selectAll();
    return owner === 'all' ? query : query.where('userId', '=', owner.userId);
  };

  async function view(trx: CommerceDb, principal: Principal, parcel: ParcelRow) {
    const [orderIds, timeline] = await Promise.all([
      deps.orders.orderIdsInParcel(trx, parcel.id),
      trx
        .selectFrom('parcelEvents')
        .select(['fromStatus', 'toStatus', 'actorKind', 'note', 'at'])
        .where('parcelId', '=', parcel.id)
        .orderBy('id')
        .execute(),
    ]);
    // The shipping address is shown to its owner only; staff see it when labelling (a later, audited flow).
    const address =
      principal.kind === 'shopper'
        ? JSON.parse(
            await deps.vault.openOwn(
              trx,
              parcel.userId,
              { ...ADDRESS_FIELD, rowId: parcel.id },
              parcel.addressEnc,
            ),
          )
        : null;
    return {
      id: parcel.id,
      status: parcel.status,
      shippingLine: parcel.shippingLine,
      declaredValue: parcel.declaredValue,
      destinationCountry: parcel.destinationCountry,
      weightGrams: parcel.weightGrams,
      shippingFee: parcel.shippingFee,
      trackingNumber: parcel.trackingNumber,
      orderIds: [...orderIds].sort(),
      address,
      timeline,
      createdAt: parcel.createdAt,
      updatedAt: parcel.updatedAt,
    };
  }

  async function lockScoped(
    trx: CommerceDb,
    principal: Principal,
    id: string,
    permission: 'parcels:process' | 'orders:read',
  ) {
    const parcel = await selectParcels(trx, ownerFilter(principal, permission))
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!parcel) throw notFound();
    return parcel;
  }

  async function move(
    trx: CommerceDb,
    principal: Principal,
    parcel: ParcelRow,
    action: ParcelAction,
    changes: Partial<Pick<ParcelRow, 'weightGrams' | 'shippingFee' | 'trackingNumber'>> = {},
  ): Promise<ParcelRow> {
    const to = nextParcelStatus(parcel.status, action);
    const updatedAt = deps.clock.now();
    await trx
      .updateTable('parcels')
      .set({ status: to, updatedAt, ...changes })
      .where('id', '=', parcel.id)
      .execute();
    await trx
      .insertInto('parcelEvents')
      .values({
        parcelId: parcel.id,
        fromStatus: parcel.status,
        toStatus: to,
        note: null,
        ...actorOf(principal),
      })
      .execute();
    const orderAction = { ship: 'ship', deliver: 'deliver', cancel: 'unparcel' } as const;
    if (action in orderAction) {
      const orderIds = await deps.orders.orderIdsInParcel(trx, parcel.id);
      const next = orderAction[action as keyof typeof orderAction];
      await deps.orders.moveForParcel(
        trx,
        principal,
        parcel.userId,
        orderIds,
        next,
        next === 'unparcel' ? null : parcel.id,
      );
    }
    return { ...parcel, ...changes, status: to, updatedAt };
  }

  async function staffStep(
    principal: Principal,
    id: string,
    action: ParcelAction,
    changes: (parcel: ParcelRow) => Partial<ParcelRow> = () => ({}),
  ) {
    return withTransaction(deps.db, async (trx) => {
      const cdb = trx as unknown as CommerceDb;
      const parcel = await lockScoped(cdb, principal, id, 'parcels:process');
      nextParcelStatus(parcel.status, action);
      return view(cdb, principal, await move(cdb, principal, parcel, action, changes(parcel)));
    });
  }

  /** The delivery address as it was when chosen: later edits to the address book do not move a parcel. */
  function sealSnapshot(trx: AnyDb, principal: ShopperPrincipal, parcelId: string, address: Address) {
    const { id: _id, createdAt: _c, updatedAt: _u, isDefault: _d, label: _l, ...snapshot } = address;
    return deps.vault.seal(
      trx,
      { ...ADDRESS_FIELD, ownerId: principal.userId, rowId: parcelId },
      JSON.stringify(snapshot),
    );
  }

  return {
    /**
     * Sends a parcel that has not shipped to another of the shopper's addresses in the same country (the
     * quote depends on it). Redirecting goods is what a thief with a stolen session wants, so the route
     * demands step-up.
     */
    async changeAddress(principal: ShopperPrincipal, id: string, addressId: string) {
      return withTransaction(deps.db, async (trx) => {
        const cdb = trx as unknown as CommerceDb;
        const parcel = await lockScoped(cdb, principal, id, 'orders:read');
        if (!ADDRESS_CHANGEABLE.includes(parcel.status)) {
          throw CommerceErrors.COMMERCE_PARCEL_TRANSITION_REFUSED(
            `A ${parcel.status} parcel can no longer change its address.`,
            { extensions: { currentStatus: parcel.status } },
          );
        }
        const address = await deps.addresses.get(principal, addressId, trx);
        if (address.country !== parcel.destinationCountry) {
          throw CommerceErrors.COMMERCE_SHIPPING_LINE_UNAVAILABLE(
            `The parcel is quoted for ${parcel.destinationCountry}: choose an address there, or cancel and request a new parcel.`,
            { errors: [{ field: 'body.addressId', message: `must be in ${parcel.destinationCountry}` }] },
          );
        }
        await cdb
          .updateTable('parcels')
          .set({
            addressEnc: await sealSnapshot(trx, principal, parcel.id, address),
            updatedAt: deps.clock.now(),
          })
          .where('id', '=', parcel.id)
          .execute();
        await cdb
          .insertInto('parcelEvents')
          .values({
            parcelId: parcel.id,
            fromStatus: parcel.status,
            toStatus: parcel.status,
            note: 'delivery address changed',
            ...actorOf(principal),
          })
          .execute();
        return view(cdb, principal, { ...parcel, updatedAt: deps.clock.now() });
      });
    },

    async create(principal: ShopperPrincipal, input: NewParcel) {
      const line = findShippingLine(input.shippingLine);
      if (!line) {
        throw CommerceErrors.COMMERCE_SHIPPING_LINE_UNAVAILABLE('There is no such shipping line.', {
          errors: [{ field: 'body.shippingLine', message: 'is not a known shipping line' }],
        });
      }
      return withTransaction(deps.db, async (trx) => {
        const cdb = trx as unknown as CommerceDb;
        const address = await deps.addresses.get(principal, input.addressId, trx);
        if (!serves(line, address.country)) {
          throw CommerceErrors.COMMERCE_SHIPPING_LINE_UNAVAILABLE(
            `${line.name} does not ship to ${address.country}.`,
            {
              errors: [{ field: 'body.shippingLine', message: `does not serve ${address.country}` }],
            },
          );
        }
        const id = newId('parcel');
        await cdb
          .insertInto('parcels')
          .values({
            id,
            userId: principal.userId,
            status: 'requested',
            shippingLine: line.id,
            declaredValue: input.declaredValue,
            destinationCountry: address.country,
            addressEnc: await sealSnapshot(trx, principal, id, address),
          })
          .execute();
        await cdb
          .insertInto('parcelEvents')
          .values({
            parcelId: id,
            fromStatus: null,
            toStatus: 'requested',
            note: null,
            ...actorOf(principal),
          })
          .execute();
        await deps.orders.moveForParcel(trx, principal, principal.userId, input.orderIds, 'parcel', id);
        return view(
          cdb,
          principal,
          (await selectParcels(cdb, 'all').where('id', '=', id).executeTakeFirst()) as ParcelRow,
        );
      });
    },

    async list(principal: Principal, filter: { status?: ParcelStatus; limit: number; after: Cursor | null }) {
      let query = selectParcels(db, ownerFilter(principal, 'orders:read'))
        .orderBy('createdAt', 'desc')
        .orderBy('id', 'desc')
        .limit(filter.limit + 1);
      if (filter.status) query = query.where('status', '=', filter.status);
      if (filter.after) query = query.where(olderThan(filter.after));
      const rows = await query.execute();
      return Promise.all(rows.map((row) => view(db, principal, row)));
    },

    async get(principal: Principal, id: string) {
      const parcel = await selectParcels(db, ownerFilter(principal, 'orders:read'))
        .where('id', '=', id)
        .executeTakeFirst();
      if (!parcel) throw notFound();
      return view(db, principal, parcel);
    },

    pack: (principal: Principal, id: string, weightGrams: number) =>
      staffStep(principal, id, 'pack', (parcel) => {
        const line = findShippingLine(parcel.shippingLine);
        if (!line || weightGrams > line.maxWeightGrams) {
          throw CommerceErrors.COMMERCE_AMOUNT_OUT_OF_RANGE(
            `This line carries at most ${line?.maxWeightGrams ?? 0} g.`,
            {
              errors: [{ field: 'body.weightGrams', message: 'is above what the shipping line carries' }],
            },
          );
        }
        return { weightGrams, shippingFee: shippingFee(line, weightGrams) };
      }),

    ship: (principal: Principal, id: string, trackingNumber: string) =>
      staffStep(principal, id, 'ship', () => ({ trackingNumber })),

    deliver: (principal: Principal, id: string) => staffStep(principal, id, 'deliver'),

    async cancel(principal: ShopperPrincipal, id: string) {
      return withTransaction(deps.db, async (trx) => {
        const cdb = trx as unknown as CommerceDb;
        const parcel = await lockScoped(cdb, principal, id, 'parcels:process');
        return view(cdb, principal, await move(cdb, principal, parcel, 'cancel'));
      });
    },

    /** Pays the quoted shipping fee from the wallet, once per idempotency key and once per parcel. */
    pay(principal: ShopperPrincipal, id: string, idempotencyKey: string) {
      const fingerprint = `shipping_payment:${id}`;
      return moveMoneyOnce(deps.db, {
        userId: principal.userId,
        idempotencyKey,
        fingerprint,
        perform: async (trx) => {
          const parcel = await lockScoped(trx, principal, id, 'parcels:process');
          const moved = await move(trx, principal, parcel, 'pay');
          const fee = parcel.shippingFee ?? 0;
          const wallet = await walletAccountFor(trx, principal.userId);
          await post(trx, {
            kind: 'shipping_payment',
            userId: principal.userId,
            amount: fee,
            reference: parcel.id,
            idempotencyKey,
            fingerprint,
            legs: [
              { accountId: wallet.id, amount: -fee },
              { accountId: SYSTEM_ACCOUNTS.shippingRevenue, amount: fee },
            ],
          });
          return view(trx, principal, moved);
        },
        replay: async (trx) => {
          const parcel = await selectParcels(trx, { userId: principal.userId })
            .where('id', '=', id)
            .executeTakeFirst();
          if (!parcel) throw notFound();
          return view(trx, principal, parcel);
        },
      });
    },
  };
}

export type Parcels = ReturnType<typeof createParcels>;
