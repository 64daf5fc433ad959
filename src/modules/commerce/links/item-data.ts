// Reads an item's title, price, images and options out of a marketplace's answer: a schema.org Product
// as a JSON document, or embedded in an HTML page as JSON-LD. Everything taken is re-built from checked
// pieces (text cleaned and capped, prices re-computed, image URLs re-serialised), so nothing of the
// upstream answer reaches a client as it came.
import type { Marketplace } from './product-link.ts';

export interface ItemOption {
  readonly name: string;
  readonly values: string[];
}

export interface ItemData {
  readonly title: string;
  /** CNY fen per unit. */
  readonly price: number;
  readonly images: string[];
  readonly options: ItemOption[];
}

export const ITEM_LIMITS = {
  title: 300, // the order's title limit, so a resolved title can be ordered as it is
  optionName: 60,
  optionValue: 100,
  options: 10,
  valuesPerOption: 50,
  images: 10,
  imageUrl: 500,
  /** 1,000,000 CNY, the order's unit price limit. */
  maxPrice: 100_000_000,
} as const;

// Image CDNs of each marketplace; any other host (or scheme, port or user info) is dropped.
const IMAGE_DOMAINS: Readonly<Record<Marketplace, readonly string[]>> = {
  taobao: ['alicdn.com', 'taobaocdn.com'],
  tmall: ['alicdn.com', 'taobaocdn.com'],
  '1688': ['alicdn.com'],
  weidian: ['geilicdn.com'],
  jd: ['360buyimg.com'],
};

const MAX_JSON_LD_BLOCKS = 20;
const MAX_DEPTH = 4;
const JSON_LD = /<script\b[^>]*\btype\s*=\s*["']?application\/ld\+json["']?[^>]*>([\s\S]*?)<\/script\s*>/gi;
// Controls, format characters (bidi overrides and isolates, zero-width joiners, the Arabic letter mark),
// private-use, unassigned and lone surrogates: none belongs in a product title, and some make a label
// read differently from what it says.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}]/gu;
const SPACES = /[\s\p{Z}]+/gu;

/** The item in `body`, or undefined when there is none with at least a title and a CNY price. */
export function extractItem(body: string, marketplace: Marketplace): ItemData | undefined {
  for (const candidate of documents(body)) {
    const product = findProduct(candidate, 0);
    if (product === undefined) continue;
    const item = readProduct(product, marketplace);
    if (item !== undefined) return item;
  }
  return undefined;
}

function documents(body: string): unknown[] {
  const trimmed = body.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return [parse(trimmed)];
  const found: unknown[] = [];
  for (const match of body.matchAll(JSON_LD)) {
    if (found.length >= MAX_JSON_LD_BLOCKS) break;
    found.push(parse(match[1] ?? ''));
  }
  return found;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function findProduct(value: unknown, depth: number): Json | undefined {
  if (depth > MAX_DEPTH) return undefined;
  if (Array.isArray(value)) {
    for (const entry of value.slice(0, 50)) {
      const product = findProduct(entry, depth + 1);
      if (product) return product;
    }
    return undefined;
  }
  if (!isObject(value)) return undefined;
  const type = value['@type'];
  if (type === 'Product' || (Array.isArray(type) && type.includes('Product'))) return value;
  return findProduct(value['@graph'], depth + 1);
}

function readProduct(product: Json, marketplace: Marketplace): ItemData | undefined {
  const title = cleanText(product.name, ITEM_LIMITS.title);
  const price = readPrice(product.offers);
  if (title === '' || price === undefined) return undefined;
  return {
    title,
    price,
    images: readImages(product.image, IMAGE_DOMAINS[marketplace]),
    options: readOptions(product.options),
  };
}

/** Whitespace folded to single spaces, invisible characters removed, NFC, at most `max` code points. */
export function cleanText(value: unknown, max: number): string {
  if (typeof value !== 'string') return '';
  // Bound the work before normalising: a hostile title may be megabytes long.
  const bounded = value.slice(0, max * 8);
  const cleaned = bounded.normalize('NFC').replace(SPACES, ' ').replace(INVISIBLE, '').replace(/ {2,}/g, ' ');
  return Array.from(cleaned.trim()).slice(0, max).join('').trim();
}

function readPrice(offers: unknown): number | undefined {
  const offer = Array.isArray(offers) ? offers.find(isObject) : offers;
  if (!isObject(offer)) return undefined;
  if (typeof offer.priceCurrency !== 'string' || offer.priceCurrency.toUpperCase() !== 'CNY')
    return undefined;
  return toFen(offer.price ?? offer.lowPrice);
}

/** "59.9", "59.90" or 59.9 as 5990 fen; anything else (negative, exponent, three decimals) is no price. */
export function toFen(value: unknown): number | undefined {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string') return undefined;
  const match = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!match) return undefined;
  const fen = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return fen >= 1 && fen <= ITEM_LIMITS.maxPrice ? fen : undefined;
}

function readImages(value: unknown, domains: readonly string[]): string[] {
  const candidates = (Array.isArray(value) ? value : [value]).slice(0, 50);
  const images = new Set<string>();
  for (const candidate of candidates) {
    const url = cleanImageUrl(isObject(candidate) ? candidate.url : candidate, domains);
    if (url !== undefined) images.add(url);
    if (images.size >= ITEM_LIMITS.images) break;
  }
  return [...images];
}

/** An https URL on one of `domains` (dot boundary), re-serialised, or undefined. */
export function cleanImageUrl(value: unknown, domains: readonly string[]): string | undefined {
  if (typeof value !== 'string' || value.length > ITEM_LIMITS.imageUrl) return undefined;
  let url: URL;
  try {
    // Marketplaces write their CDN links without a scheme ("//img.alicdn.com/…").
    url = new URL(value.startsWith('//') ? `https:${value}` : value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.port !== '') {
    return undefined;
  }
  const host = url.hostname;
  if (!domains.some((domain) => host === domain || host.endsWith(`.${domain}`))) return undefined;
  url.hash = '';
  return url.href.length <= ITEM_LIMITS.imageUrl ? url.href : undefined;
}

function readOptions(value: unknown): ItemOption[] {
  if (!Array.isArray(value)) return [];
  const options: ItemOption[] = [];
  for (const entry of value.slice(0, 50)) {
    if (!isObject(entry) || !Array.isArray(entry.values)) continue;
    const name = cleanText(entry.name, ITEM_LIMITS.optionName);
    const values = new Set<string>();
    for (const raw of entry.values.slice(0, 200)) {
      const text = cleanText(raw, ITEM_LIMITS.optionValue);
      if (text !== '') values.add(text);
      if (values.size >= ITEM_LIMITS.valuesPerOption) break;
    }
    if (name !== '' && values.size > 0) options.push({ name, values: [...values] });
    if (options.length >= ITEM_LIMITS.options) break;
  }
  return options;
}
