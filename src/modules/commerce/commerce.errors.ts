import { defineErrors } from '../../platform/errors.ts';

export const CommerceErrors = defineErrors({
  COMMERCE_NOT_FOUND: { status: 404, title: 'Not found' },
  COMMERCE_LINK_REFUSED: { status: 422, title: 'The product link is not supported' },
  COMMERCE_ORDER_TRANSITION_REFUSED: {
    status: 409,
    title: 'The order cannot make this change in its current state',
  },
  COMMERCE_PARCEL_TRANSITION_REFUSED: {
    status: 409,
    title: 'The parcel cannot make this change in its current state',
  },
  COMMERCE_SHIPPING_LINE_UNAVAILABLE: {
    status: 422,
    title: 'The shipping line does not serve this destination',
  },
  COMMERCE_AMOUNT_OUT_OF_RANGE: { status: 422, title: 'An amount is out of range' },
  COMMERCE_INSUFFICIENT_FUNDS: { status: 402, title: 'Insufficient wallet balance' },
  COMMERCE_PHOTO_REJECTED: { status: 415, title: 'The photo is not an accepted image' },
  COMMERCE_QC_PHOTOS_REQUIRED: { status: 409, title: 'QC photos are required first' },
  COMMERCE_PHOTO_LIMIT: { status: 409, title: 'The order has the most photos it may have' },
  COMMERCE_PAYMENTS_DISABLED: { status: 503, title: 'Top-ups are not available' },
  COMMERCE_INVALID_ADDRESS: { status: 422, title: 'The address is not valid' },
  COMMERCE_ACCOUNT_BUSY: { status: 409, title: 'The account has orders or money in flight' },
  COMMERCE_ADDRESS_LIMIT: { status: 409, title: 'The address book is full' },
  COMMERCE_MARKETPLACE_UNAVAILABLE: { status: 502, title: 'The marketplace could not be reached' },
  COMMERCE_MARKETPLACE_TIMEOUT: { status: 504, title: 'The marketplace did not answer in time' },
  COMMERCE_ITEM_UNREADABLE: { status: 502, title: 'The item could not be read from the marketplace' },
});
