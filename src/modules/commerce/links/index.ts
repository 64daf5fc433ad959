export type {
  LinkRefusal,
  LinkRefusalReason,
  Marketplace,
  ProductLink,
  ProductLinkResult,
} from './product-link.ts';
export { MARKETPLACES, MAX_LINK_INPUT_LENGTH, parseProductLink } from './product-link.ts';
