// Resolves a pasted product link into the item's title, price, images and options, read from the
// marketplace through the SSRF-safe fetcher. Only the canonical URL built by the link parser (a constant
// template and a digit-only item id) is ever fetched, never the pasted text; the answer is extracted into
// checked fields and never passed on.
import { AppError } from '../../../platform/errors.ts';
import type { Fetcher, FetcherFactory } from '../../../platform/outbound/index.ts';
import { CommerceErrors } from '../commerce.errors.ts';
import { extractItem, type ItemOption } from './item-data.ts';
import { MARKETPLACES, type Marketplace, parseProductLink } from './product-link.ts';

export interface ResolvedItem {
  readonly marketplace: Marketplace;
  readonly itemId: string;
  readonly canonicalUrl: string;
  readonly title: string;
  /** CNY fen per unit. */
  readonly price: number;
  readonly currency: 'CNY';
  readonly images: string[];
  readonly options: ItemOption[];
}

/**
 * WARNING: test-only. Where each marketplace's item data is read from (`{id}` stands for the item id), and
 * how long to wait; production reads the canonical item page on the marketplace's own hosts.
 */
export interface MarketplaceFakes {
  readonly itemUrls?: Partial<Record<Marketplace, string>>;
  readonly timeoutMs?: number;
}

export interface ProductResolverDeps {
  readonly outbound: FetcherFactory;
  readonly marketplaceFakes?: MarketplaceFakes;
}

export interface ProductResolver {
  /** Rejects with COMMERCE_LINK_REFUSED (422), COMMERCE_MARKETPLACE_* (502, 504) or COMMERCE_ITEM_UNREADABLE. */
  resolve(link: string): Promise<ResolvedItem>;
}

// Each marketplace's own domains: the item page lives there, and so do the redirects it makes (mobile
// hosts, regional hosts). Nothing else is reachable from a marketplace's fetcher.
const MARKETPLACE_HOSTS: Readonly<Record<Marketplace, readonly string[]>> = {
  taobao: ['taobao.com', '*.taobao.com'],
  tmall: ['tmall.com', '*.tmall.com', 'tmall.hk', '*.tmall.hk'],
  weidian: ['weidian.com', '*.weidian.com'],
  '1688': ['1688.com', '*.1688.com'],
  jd: ['jd.com', '*.jd.com', 'jd.hk', '*.jd.hk'],
};

const TIMEOUT_MS = 5_000;
const MAX_BYTES = 2 * 1024 * 1024; // item pages run to a few hundred KB
const MAX_REDIRECTS = 3;
const USER_AGENT = 'Mozilla/5.0 (compatible; Bulwark product resolver)';

const NEXT_STEP = 'Try again later, or enter the title and price yourself.';

export function createProductResolver(deps: ProductResolverDeps): ProductResolver {
  const fakes = deps.marketplaceFakes ?? {};
  const fetchers = new Map<Marketplace, Fetcher>();
  for (const marketplace of MARKETPLACES) {
    const template = fakes.itemUrls?.[marketplace];
    fetchers.set(
      marketplace,
      deps.outbound({
        allowHosts: template
          ? [...MARKETPLACE_HOSTS[marketplace], new URL(template).hostname]
          : MARKETPLACE_HOSTS[marketplace],
        timeoutMs: fakes.timeoutMs ?? TIMEOUT_MS,
        maxBytes: MAX_BYTES,
        maxRedirects: MAX_REDIRECTS,
        userAgent: USER_AGENT,
      }),
    );
  }

  return {
    async resolve(link) {
      const parsed = parseProductLink(link);
      if (!parsed.ok) {
        throw CommerceErrors.COMMERCE_LINK_REFUSED(parsed.message, {
          errors: [{ field: 'body.link', message: parsed.message }],
        });
      }
      const { marketplace, itemId, canonicalUrl } = parsed.link;
      const template = fakes.itemUrls?.[marketplace];
      // The item id is digits only (the parser's rule), so it cannot change the URL's shape.
      const source = template ? template.replaceAll('{id}', itemId) : canonicalUrl;
      const fetcher = fetchers.get(marketplace) as Fetcher;
      let answer: Awaited<ReturnType<Fetcher['fetchText']>>;
      try {
        answer = await fetcher.fetchText(source, {
          headers: { accept: 'text/html,application/json;q=0.9,application/ld+json;q=0.9' },
        });
      } catch (error) {
        throw marketplaceError(error);
      }
      if (answer.status < 200 || answer.status > 299) {
        throw CommerceErrors.COMMERCE_MARKETPLACE_UNAVAILABLE(
          `The marketplace answered with an error. ${NEXT_STEP}`,
          { cause: new Error(`upstream status ${answer.status}`) },
        );
      }
      const item = extractItem(answer.body, marketplace);
      if (!item) {
        throw CommerceErrors.COMMERCE_ITEM_UNREADABLE(
          `The item page did not hold a title and a price in CNY that we could read. ${NEXT_STEP}`,
        );
      }
      return { marketplace, itemId, canonicalUrl, currency: 'CNY', ...item };
    },
  };
}

// The fetcher throws only OUTBOUND_* errors; anything else is a bug and stays a 500.
function marketplaceError(error: unknown): unknown {
  if (!(error instanceof AppError)) return error;
  const options = { cause: error };
  switch (error.code) {
    case 'OUTBOUND_TIMEOUT':
      return CommerceErrors.COMMERCE_MARKETPLACE_TIMEOUT(
        `The marketplace did not answer in time. ${NEXT_STEP}`,
        options,
      );
    case 'OUTBOUND_TOO_LARGE':
      return CommerceErrors.COMMERCE_ITEM_UNREADABLE(
        `The item page was larger than we read. ${NEXT_STEP}`,
        options,
      );
    default:
      return CommerceErrors.COMMERCE_MARKETPLACE_UNAVAILABLE(
        `The marketplace could not be reached. ${NEXT_STEP}`,
        options,
      );
  }
}
