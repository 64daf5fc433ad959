import { CommerceErrors } from '../commerce.errors.ts';

export const ORDER_STATUSES = [
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
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * Every change an order can make, with the states it may start from. An action not listed for the
 * current state is refused by name, so no code path can move an order along an edge that is not here.
 */
export const ORDER_TRANSITIONS = {
  pay: { from: ['draft'], to: 'paid' },
  withdraw: { from: ['draft'], to: 'withdrawn' },
  cancel: { from: ['draft'], to: 'cancelled' },
  startPurchase: { from: ['paid'], to: 'purchasing' },
  markPurchased: { from: ['purchasing'], to: 'purchased' },
  markArrived: { from: ['purchased'], to: 'in_warehouse' },
  markQcReady: { from: ['in_warehouse'], to: 'qc_ready' },
  approve: { from: ['qc_ready'], to: 'approved' },
  requestReturn: { from: ['qc_ready'], to: 'return_requested' },
  refund: { from: ['paid', 'purchasing'], to: 'refunded' },
  completeReturn: { from: ['return_requested'], to: 'refunded' },
  parcel: { from: ['approved'], to: 'parcelled' },
  unparcel: { from: ['parcelled'], to: 'approved' },
  ship: { from: ['parcelled'], to: 'shipped' },
  deliver: { from: ['shipped'], to: 'delivered' },
} as const satisfies Record<string, { from: readonly OrderStatus[]; to: OrderStatus }>;

export type OrderAction = keyof typeof ORDER_TRANSITIONS;

const ACTION_WORDS: Record<OrderAction, string> = {
  pay: 'paid',
  withdraw: 'withdrawn',
  cancel: 'cancelled',
  startPurchase: 'moved to purchasing',
  markPurchased: 'marked purchased',
  markArrived: 'marked as arrived',
  markQcReady: 'marked ready for QC review',
  approve: 'approved',
  requestReturn: 'returned',
  refund: 'refunded',
  completeReturn: 'refunded as a return',
  parcel: 'put in a parcel',
  unparcel: 'taken out of a parcel',
  ship: 'shipped',
  deliver: 'delivered',
};

export function canTransition(status: OrderStatus, action: OrderAction): boolean {
  return (ORDER_TRANSITIONS[action].from as readonly OrderStatus[]).includes(status);
}

/** The next state, or a 409 problem that names the current state. */
export function nextOrderStatus(status: OrderStatus, action: OrderAction): OrderStatus {
  if (!canTransition(status, action)) {
    throw CommerceErrors.COMMERCE_ORDER_TRANSITION_REFUSED(
      `The order is ${status.replaceAll('_', ' ')}, so it cannot be ${ACTION_WORDS[action]}.`,
      { extensions: { currentStatus: status } },
    );
  }
  return ORDER_TRANSITIONS[action].to;
}
