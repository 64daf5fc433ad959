// Parses a pasted product link into a canonical one. The canonical URL is built only from a constant
// template and a digit-only item id, so nothing else from the pasted text (hosts, tracking parameters,
// encodings) ever reaches a purchase or a fetch.

export type Marketplace = 'taobao' | 'tmall' | 'weidian' | '1688' | 'jd';

export const MARKETPLACES: readonly Marketplace[] = Object.freeze([
  'taobao',
  'tmall',
  'weidian',
  '1688',
  'jd',
]);

export interface ProductLink {
  marketplace: Marketplace;
  itemId: string;
  canonicalUrl: string;
}

export type LinkRefusalReason =
  | 'malformed'
  | 'unsupported_marketplace'
  | 'missing_item_id'
  | 'too_long'
  | 'short_link';

export type LinkRefusal = { ok: false; reason: LinkRefusalReason; message: string };

export type ProductLinkResult = { ok: true; link: ProductLink } | LinkRefusal;

export const MAX_LINK_INPUT_LENGTH = 2048;

const DISPLAY_NAMES: Readonly<Record<Marketplace, string>> = {
  taobao: 'Taobao',
  tmall: 'Tmall',
  weidian: 'Weidian',
  '1688': '1688',
  jd: 'JD',
};

const CANONICAL_URLS: Readonly<Record<Marketplace, (itemId: string) => string>> = {
  taobao: (id) => `https://item.taobao.com/item.htm?id=${id}`,
  tmall: (id) => `https://detail.tmall.com/item.htm?id=${id}`,
  weidian: (id) => `https://weidian.com/item.html?itemID=${id}`,
  '1688': (id) => `https://detail.1688.com/offer/${id}.html`,
  jd: (id) => `https://item.jd.com/${id}.html`,
};

const MARKETPLACE_DOMAINS: Readonly<Record<Marketplace, readonly string[]>> = {
  taobao: ['taobao.com'],
  tmall: ['tmall.com', 'tmall.hk'],
  weidian: ['weidian.com'],
  '1688': ['1688.com'],
  jd: ['jd.com', 'jd.hk'],
};

// Redirectors: the item id only exists behind an HTTP redirect, which needs the SSRF-safe resolver.
const SHORT_LINK_DOMAINS: readonly string[] = ['tb.cn', '3.cn'];
const SHORT_LINK_HOSTS: readonly string[] = ['u.jd.com', 'k.weidian.com', 'qr.1688.com'];

interface Route {
  marketplace: Marketplace;
  hosts: readonly (string | RegExp)[];
  /** Matched against the pathname; capture group 1 is the item id unless `params` is given. */
  path: RegExp;
  params?: readonly string[];
}

const ROUTES: readonly Route[] = [
  { marketplace: 'taobao', hosts: ['item.taobao.com'], path: /^\/item\.htm$/i, params: ['id'] },
  { marketplace: 'taobao', hosts: ['h5.m.taobao.com'], path: /^\/awp\/core\/detail\.htm$/i, params: ['id'] },
  { marketplace: 'taobao', hosts: ['m.intl.taobao.com'], path: /^\/detail\/detail\.html$/i, params: ['id'] },
  { marketplace: 'taobao', hosts: ['world.taobao.com'], path: /^\/item\/(\d+)\.htm$/i },
  { marketplace: 'taobao', hosts: ['a.m.taobao.com'], path: /^\/i(\d+)\.htm$/i },
  {
    marketplace: 'tmall',
    hosts: ['detail.tmall.com', 'detail.m.tmall.com', 'chaoshi.detail.tmall.com'],
    path: /^\/item\.htm$/i,
    params: ['id'],
  },
  { marketplace: 'tmall', hosts: ['detail.tmall.hk'], path: /^\/(?:hk\/)?item\.htm$/i, params: ['id'] },
  {
    marketplace: 'weidian',
    hosts: ['weidian.com', 'www.weidian.com', 'm.weidian.com', /^shop\d+\.v\.weidian\.com$/],
    path: /^\/item\.html$/i,
    params: ['itemID', 'itemId'],
  },
  { marketplace: '1688', hosts: ['detail.1688.com', 'm.1688.com'], path: /^\/offer\/(\d+)\.html$/i },
  { marketplace: '1688', hosts: ['detail.m.1688.com'], path: /^\/page\/index\.html$/i, params: ['offerId'] },
  { marketplace: 'jd', hosts: ['item.jd.com', 'item.jd.hk', 'npcitem.jd.hk'], path: /^\/(\d+)\.html$/i },
  { marketplace: 'jd', hosts: ['item.m.jd.com'], path: /^\/product\/(\d+)\.html$/i },
  { marketplace: 'jd', hosts: ['item.m.jd.com'], path: /^\/ware\/view\.action$/i, params: ['wareId'] },
];

// No marketplace issues ids with leading zeros; one would mean a mangled link, so refuse rather than guess.
const ITEM_ID = /^[1-9]\d{0,19}$/;
const URL_PREFIX = /https?:\/\//gi;
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
const HOST_AND_PORT = /^[^/?#:]+:\d+(?:[/?#]|$)/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const HIDDEN_CHARACTER = /\p{Cf}/u;
const OPENING_PUNCTUATION = '("\'<[{';
const URL_STOP_CHARACTERS = '"<>`';
const TRAILING_PUNCTUATION = ".,;:!?)]}'";

const SUPPORTED = 'Taobao, Tmall, Weidian, 1688 or JD';

const MESSAGES = {
  tooLong: `That is too long to be a product link (the limit is ${MAX_LINK_INPUT_LENGTH} characters).`,
  empty: `Paste a link to an item on ${SUPPORTED}.`,
  noLink: `We could not find a link in that text. Paste the item link from ${SUPPORTED}.`,
  malformed: 'That does not look like a valid link. Copy the item link again and paste it here.',
  hidden: 'That link contains hidden or control characters. Copy the item link again and paste it here.',
  scheme: 'Only web links (http or https) are supported.',
  userinfo: 'Links that contain a username or password are not accepted.',
  port: 'Links with a custom port are not accepted.',
  ambiguous: 'That link names more than one item. Open the item page and copy its link.',
  unsupported: `Only links to items on ${SUPPORTED} are supported.`,
  shortLink: 'Short links cannot be opened here yet. Open it in your browser, then paste the full item link.',
  missingItemId: (marketplace: Marketplace) =>
    `That ${DISPLAY_NAMES[marketplace]} link does not point to a single item. Open the item page and copy its link.`,
} as const;

type Step<T> = { ok: true; value: T } | LinkRefusal;

export function parseProductLink(input: string): ProductLinkResult {
  if (input.length > MAX_LINK_INPUT_LENGTH) return refuse('too_long', MESSAGES.tooLong);
  if (hasControlCharacter(input)) return refuse('malformed', MESSAGES.hidden);
  const text = locateUrl(input);
  if (!text.ok) return text;
  const url = parseUrl(text.value);
  if (url === undefined) return refuse('malformed', MESSAGES.malformed);
  const shapeRefusal = checkUrlShape(url, text.value);
  if (shapeRefusal !== undefined) return shapeRefusal;
  const host = normaliseHost(url.hostname);
  const marketplace = classifyHost(host);
  if (!marketplace.ok) return marketplace;
  const itemId = findItemId(marketplace.value, host, url);
  if (!itemId.ok) return itemId;
  return { ok: true, link: toLink(marketplace.value, itemId.value) };
}

function refuse(reason: LinkRefusalReason, message: string): LinkRefusal {
  return { ok: false, reason, message };
}

function toLink(marketplace: Marketplace, itemId: string): ProductLink {
  return { marketplace, itemId, canonicalUrl: CANONICAL_URLS[marketplace](itemId) };
}

// C0 controls other than tab/newline/carriage return, DEL and C1 controls. Tab and newlines are allowed
// because share texts span lines; they only ever separate a URL from its surroundings.
function hasControlCharacter(input: string): boolean {
  for (let i = 0; i < input.length; i++) {
    const code = input.charCodeAt(i);
    const allowedWhitespace = code === 0x09 || code === 0x0a || code === 0x0d;
    if ((code < 0x20 && !allowedWhitespace) || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

function locateUrl(input: string): Step<string> {
  const start = findUrlStart(input);
  return start === undefined ? schemelessToken(input) : cutUrl(input, start);
}

// A URL embedded after other URL characters (`?to=https://...`, `javascript:https://...`) is part of
// something else, not the link the user meant.
function findUrlStart(input: string): number | undefined {
  for (const match of input.matchAll(URL_PREFIX)) {
    if (isUrlBoundary(input[match.index - 1])) return match.index;
  }
  return undefined;
}

function isUrlBoundary(previous: string | undefined): boolean {
  return previous === undefined || !isAsciiPrintable(previous) || OPENING_PUNCTUATION.includes(previous);
}

function isAsciiPrintable(character: string): boolean {
  const code = character.charCodeAt(0);
  return code >= 0x21 && code <= 0x7e;
}

// Share texts put CJK text right after the URL ("https://3.cn/x「title」"), so the URL ends at the first
// character that is not printable ASCII.
function cutUrl(input: string, start: number): Step<string> {
  let end = start;
  while (end < input.length && isUrlCharacter(input.charAt(end))) end++;
  const text = trimTrailingPunctuation(input.slice(start, end));
  const next = input[end];
  if (next === undefined || /\s/.test(next) || URL_STOP_CHARACTERS.includes(next))
    return { ok: true, value: text };
  // An invisible character inside a URL makes it look like a different link than the one we would read.
  if (HIDDEN_CHARACTER.test(next)) return refuse('malformed', MESSAGES.hidden);
  // Stopping inside the host would silently parse a different (shorter) host.
  if (!hasPathOrQuery(text)) return refuse('malformed', MESSAGES.malformed);
  return { ok: true, value: text };
}

function isUrlCharacter(character: string): boolean {
  return isAsciiPrintable(character) && !URL_STOP_CHARACTERS.includes(character);
}

function trimTrailingPunctuation(text: string): string {
  let end = text.length;
  while (end > 0 && TRAILING_PUNCTUATION.includes(text.charAt(end - 1))) end--;
  return text.slice(0, end);
}

function hasPathOrQuery(text: string): boolean {
  return /[/?#\\]/.test(afterScheme(text));
}

function afterScheme(text: string): string {
  return text.replace(/^[a-z][a-z0-9+.-]*:[/\\]*/i, '');
}

function schemelessToken(input: string): Step<string> {
  const token = input.trim();
  if (token === '') return refuse('malformed', MESSAGES.empty);
  if (/\s/.test(token)) return refuse('malformed', MESSAGES.noLink);
  if (HIDDEN_CHARACTER.test(token)) return refuse('malformed', MESSAGES.hidden);
  return withScheme(token);
}

function withScheme(token: string): Step<string> {
  if (token.startsWith('//')) return { ok: true, value: `https:${token}` };
  const scheme = SCHEME.exec(token)?.[1];
  // `item.jd.com:443/...` looks like a scheme to a URL parser but is a host and port.
  if (scheme === undefined || HOST_AND_PORT.test(token)) return { ok: true, value: `https://${token}` };
  if (/^https?$/i.test(scheme)) return { ok: true, value: token };
  return refuse('malformed', MESSAGES.scheme);
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function checkUrlShape(url: URL, text: string): LinkRefusal | undefined {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return refuse('malformed', MESSAGES.scheme);
  // `https://@host` parses with an empty username, so the raw authority is checked as well.
  if (url.username !== '' || url.password !== '' || rawAuthority(text).includes('@')) {
    return refuse('malformed', MESSAGES.userinfo);
  }
  // The URL parser already drops default ports, so any remaining port is a custom one.
  if (url.port !== '') return refuse('malformed', MESSAGES.port);
  return undefined;
}

function rawAuthority(text: string): string {
  return afterScheme(text).split(/[/?#\\]/, 1)[0] ?? '';
}

function normaliseHost(hostname: string): string {
  const lower = hostname.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function classifyHost(host: string): Step<Marketplace> {
  if (host.startsWith('[') || IPV4.test(host)) return refuse('unsupported_marketplace', MESSAGES.unsupported);
  if (isShortLinkHost(host)) return refuse('short_link', MESSAGES.shortLink);
  const marketplace = MARKETPLACES.find((m) => MARKETPLACE_DOMAINS[m].some((d) => isWithinDomain(host, d)));
  if (marketplace === undefined) return refuse('unsupported_marketplace', MESSAGES.unsupported);
  return { ok: true, value: marketplace };
}

function isShortLinkHost(host: string): boolean {
  return SHORT_LINK_HOSTS.includes(host) || SHORT_LINK_DOMAINS.some((domain) => isWithinDomain(host, domain));
}

function isWithinDomain(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

function findItemId(marketplace: Marketplace, host: string, url: URL): Step<string> {
  const candidates = candidateItemIds(marketplace, host, url);
  const distinct = [...new Set(candidates)];
  if (distinct.length > 1) return refuse('malformed', MESSAGES.ambiguous);
  const [itemId] = distinct;
  if (itemId === undefined || !ITEM_ID.test(itemId)) {
    return refuse('missing_item_id', MESSAGES.missingItemId(marketplace));
  }
  return { ok: true, value: itemId };
}

function candidateItemIds(marketplace: Marketplace, host: string, url: URL): string[] {
  for (const route of ROUTES) {
    if (route.marketplace !== marketplace || !route.hosts.some((h) => hostMatches(h, host))) continue;
    const match = route.path.exec(url.pathname);
    if (match === null) continue;
    if (route.params === undefined) return match[1] === undefined ? [] : [match[1]];
    return route.params.flatMap((param) => url.searchParams.getAll(param));
  }
  return [];
}

function hostMatches(pattern: string | RegExp, host: string): boolean {
  return typeof pattern === 'string' ? pattern === host : pattern.test(host);
}
