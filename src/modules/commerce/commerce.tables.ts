import type { Generated, Kysely, Selectable } from 'kysely';
import type { OrderStatus } from './orders/order-states.ts';
import type { ParcelStatus } from './parcels/parcel-states.ts';

export interface AddressesTable {
  id: string;
  userId: string;
  labelEnc: string | null;
  recipientNameEnc: string;
  phoneEnc: string;
  line1Enc: string;
  line2Enc: string | null;
  cityEnc: string;
  regionEnc: string | null;
  postalCodeEnc: string;
  country: string;
  isDefault: Generated<boolean>;
  createdAt: Generated<Date>;
  updatedAt: Generated<Date>;
}

export interface OrdersTable {
  id: string;
  userId: string;
  status: OrderStatus;
  currency: Generated<string>;
  itemsTotal: number;
  domesticShipping: number;
  serviceFee: number;
  total: number;
  noteEnc: string | null;
  weightGrams: number | null;
  parcelId: string | null;
  createdAt: Generated<Date>;
  updatedAt: Generated<Date>;
}

export interface OrderItemsTable {
  id: string;
  orderId: string;
  position: number;
  marketplace: string;
  marketplaceItemId: string;
  canonicalUrl: string;
  title: string;
  optionsEnc: string | null;
  quantity: number;
  unitPrice: number;
}

export interface TimelineTable {
  id: Generated<number>;
  fromStatus: string | null;
  toStatus: string;
  actorKind: string;
  actorId: string | null;
  note: string | null;
  at: Generated<Date>;
}

export interface OrderEventsTable extends TimelineTable {
  orderId: string;
}

export interface ParcelEventsTable extends TimelineTable {
  parcelId: string;
}

export interface QcPhotosTable {
  id: string;
  orderId: string;
  contentType: 'image/jpeg' | 'image/png' | 'image/webp';
  sizeBytes: number;
  bytes: Uint8Array;
  uploadedBy: string;
  createdAt: Generated<Date>;
}

export interface ParcelsTable {
  id: string;
  userId: string;
  status: ParcelStatus;
  shippingLine: string;
  declaredValue: number;
  destinationCountry: string;
  addressEnc: string;
  weightGrams: number | null;
  shippingFee: number | null;
  trackingNumber: string | null;
  createdAt: Generated<Date>;
  updatedAt: Generated<Date>;
}

export type LedgerAccountKind = 'wallet' | 'payment_provider' | 'purchase_escrow' | 'shipping_revenue';
export type LedgerTransactionKind = 'top_up' | 'order_payment' | 'shipping_payment' | 'refund' | 'withdrawal';

export interface LedgerAccountsTable {
  id: string;
  kind: LedgerAccountKind;
  ownerId: string | null;
  balance: Generated<number>;
  createdAt: Generated<Date>;
}

export interface LedgerTransactionsTable {
  id: string;
  kind: LedgerTransactionKind;
  userId: string;
  amount: number;
  reference: string | null;
  idempotencyKey: string;
  requestFingerprint: string;
  createdAt: Generated<Date>;
}

export interface LedgerEntriesTable {
  id: Generated<number>;
  transactionId: string;
  accountId: string;
  amount: number;
  balanceAfter: number;
}

/** The tables the commerce module owns; no other module may name them. */
export interface CommerceTables {
  addresses: AddressesTable;
  orders: OrdersTable;
  orderItems: OrderItemsTable;
  orderEvents: OrderEventsTable;
  qcPhotos: QcPhotosTable;
  parcels: ParcelsTable;
  parcelEvents: ParcelEventsTable;
  ledgerAccounts: LedgerAccountsTable;
  ledgerTransactions: LedgerTransactionsTable;
  ledgerEntries: LedgerEntriesTable;
}

export type CommerceDb = Kysely<CommerceTables>;
export type AddressRow = Selectable<AddressesTable>;
export type OrderRow = Selectable<OrdersTable>;
export type OrderItemRow = Selectable<OrderItemsTable>;
export type ParcelRow = Selectable<ParcelsTable>;
export type LedgerTransactionRow = Selectable<LedgerTransactionsTable>;
