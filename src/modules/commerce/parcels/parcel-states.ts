import { CommerceErrors } from '../commerce.errors.ts';

export const PARCEL_STATUSES = ['requested', 'packed', 'paid', 'shipped', 'delivered', 'cancelled'] as const;
export type ParcelStatus = (typeof PARCEL_STATUSES)[number];

export const PARCEL_TRANSITIONS = {
  pack: { from: ['requested'], to: 'packed' },
  pay: { from: ['packed'], to: 'paid' },
  ship: { from: ['paid'], to: 'shipped' },
  deliver: { from: ['shipped'], to: 'delivered' },
  cancel: { from: ['requested', 'packed'], to: 'cancelled' },
} as const satisfies Record<string, { from: readonly ParcelStatus[]; to: ParcelStatus }>;

export type ParcelAction = keyof typeof PARCEL_TRANSITIONS;

const ACTION_WORDS: Record<ParcelAction, string> = {
  pack: 'packed',
  pay: 'paid for',
  ship: 'shipped',
  deliver: 'delivered',
  cancel: 'cancelled',
};

export function nextParcelStatus(status: ParcelStatus, action: ParcelAction): ParcelStatus {
  const transition = PARCEL_TRANSITIONS[action];
  if (!(transition.from as readonly ParcelStatus[]).includes(status)) {
    throw CommerceErrors.COMMERCE_PARCEL_TRANSITION_REFUSED(
      `The parcel is ${status}, so it cannot be ${ACTION_WORDS[action]}.`,
      { extensions: { currentStatus: status } },
    );
  }
  return transition.to;
}
