import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type LinkRefusalReason,
  MARKETPLACES,
  type Marketplace,
  type ProductLinkResult,
  parseProductLink,
} from './index.ts';

const TAOBAO_ID = '520813250866';
const TMALL_ID = '608790311485';
const WEIDIAN_ID = '4366923429';
const ALIBABA_ID = '624349542711';
const JD_ID = '100012043978';

// Written out independently of the implementation so the tests pin the canonical forms.
const CANONICAL: Record<Marketplace, (id: string) => string> = {
  taobao: (id) => `https://item.taobao.com/item.htm?id=${id}`,
  tmall: (id) => `https://detail.tmall.com/item.htm?id=${id}`,
  weidian: (id) => `https://weidian.com/item.html?itemID=${id}`,
  '1688': (id) => `https://detail.1688.com/offer/${id}.html`,
  jd: (id) => `https://item.jd.com/${id}.html`,
};

const ID_PARAMS = ['id', 'itemID', 'itemId', 'offerId', 'wareId'];
const REASONS: readonly LinkRefusalReason[] = [
  'malformed',
  'unsupported_marketplace',
  'missing_item_id',
  'too_long',
  'short_link',
];

function expectLink(result: ProductLinkResult, marketplace: Marketplace, itemId: string): void {
  expect(result).toEqual({
    ok: true,
    link: { marketplace, itemId, canonicalUrl: CANONICAL[marketplace](itemId) },
  });
}

function expectRefusal(result: ProductLinkResult, reason: LinkRefusalReason): string {
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('unreachable');
  expect(result.reason).toBe(reason);
  expect(result.message.length).toBeGreaterThan(0);
  return result.message;
}

const ACCEPTED: readonly [string, string, Marketplace, string][] = [
  // Taobao
  ['taobao desktop', `https://item.taobao.com/item.htm?id=${TAOBAO_ID}`, 'taobao', TAOBAO_ID],
  [
    'taobao desktop with tracking',
    `https://item.taobao.com/item.htm?spm=a1z10.1-c.w4004-1.2.5b3c&id=${TAOBAO_ID}&ns=1&abbucket=7#detail`,
    'taobao',
    TAOBAO_ID,
  ],
  ['taobao over http', `http://item.taobao.com/item.htm?id=${TAOBAO_ID}`, 'taobao', TAOBAO_ID],
  [
    'taobao h5 mobile',
    `https://h5.m.taobao.com/awp/core/detail.htm?id=${TAOBAO_ID}&spm=x`,
    'taobao',
    TAOBAO_ID,
  ],
  ['taobao intl mobile', `https://m.intl.taobao.com/detail/detail.html?id=${TAOBAO_ID}`, 'taobao', TAOBAO_ID],
  ['taobao world', `https://world.taobao.com/item/${TAOBAO_ID}.htm?scm=1007`, 'taobao', TAOBAO_ID],
  ['taobao a.m', `https://a.m.taobao.com/i${TAOBAO_ID}.htm`, 'taobao', TAOBAO_ID],
  ['upper-case scheme and host', `HTTPS://ITEM.TAOBAO.COM/item.htm?id=${TAOBAO_ID}`, 'taobao', TAOBAO_ID],
  ['trailing dot on host', `https://item.taobao.com./item.htm?id=${TAOBAO_ID}`, 'taobao', TAOBAO_ID],
  ['explicit default port', `https://item.taobao.com:443/item.htm?id=${TAOBAO_ID}`, 'taobao', TAOBAO_ID],
  [
    'repeated identical id',
    `https://item.taobao.com/item.htm?id=${TAOBAO_ID}&id=${TAOBAO_ID}`,
    'taobao',
    TAOBAO_ID,
  ],
  [
    '20-digit id',
    'https://item.taobao.com/item.htm?id=12345678901234567890',
    'taobao',
    '12345678901234567890',
  ],
  // Tmall
  [
    'tmall desktop with tracking',
    `https://detail.tmall.com/item.htm?id=${TMALL_ID}&skuId=4242&ali_refid=a3_430&utm_source=x`,
    'tmall',
    TMALL_ID,
  ],
  ['tmall mobile', `https://detail.m.tmall.com/item.htm?id=${TMALL_ID}`, 'tmall', TMALL_ID],
  ['tmall chaoshi', `https://chaoshi.detail.tmall.com/item.htm?id=${TMALL_ID}`, 'tmall', TMALL_ID],
  ['tmall hk', `https://detail.tmall.hk/hk/item.htm?id=${TMALL_ID}`, 'tmall', TMALL_ID],
  ['tmall hk without /hk', `https://detail.tmall.hk/item.htm?id=${TMALL_ID}`, 'tmall', TMALL_ID],
  // Weidian
  ['weidian desktop', `https://weidian.com/item.html?itemID=${WEIDIAN_ID}`, 'weidian', WEIDIAN_ID],
  [
    'weidian itemId spelling',
    `https://weidian.com/item.html?itemId=${WEIDIAN_ID}&spider_token=1`,
    'weidian',
    WEIDIAN_ID,
  ],
  [
    'weidian shop host',
    `https://shop1234567.v.weidian.com/item.html?itemID=${WEIDIAN_ID}`,
    'weidian',
    WEIDIAN_ID,
  ],
  ['weidian mobile', `https://m.weidian.com/item.html?itemID=${WEIDIAN_ID}&wfr=c`, 'weidian', WEIDIAN_ID],
  // 1688
  ['1688 desktop', `https://detail.1688.com/offer/${ALIBABA_ID}.html?spm=a261y`, '1688', ALIBABA_ID],
  ['1688 mobile', `https://m.1688.com/offer/${ALIBABA_ID}.html`, '1688', ALIBABA_ID],
  ['1688 mobile page', `https://detail.m.1688.com/page/index.html?offerId=${ALIBABA_ID}`, '1688', ALIBABA_ID],
  // JD
  ['jd desktop', `https://item.jd.com/${JD_ID}.html`, 'jd', JD_ID],
  ['jd mobile product', `https://item.m.jd.com/product/${JD_ID}.html?utm_source=iosapp&gx=1`, 'jd', JD_ID],
  ['jd mobile ware', `https://item.m.jd.com/ware/view.action?wareId=${JD_ID}`, 'jd', JD_ID],
  ['jd hk npcitem', `https://npcitem.jd.hk/${JD_ID}.html`, 'jd', JD_ID],
  ['jd hk item', `https://item.jd.hk/${JD_ID}.html`, 'jd', JD_ID],
  // Scheme-less and embedded forms
  ['scheme-less', `item.jd.com/${JD_ID}.html`, 'jd', JD_ID],
  ['scheme-less with default port', `item.jd.com:443/${JD_ID}.html`, 'jd', JD_ID],
  ['protocol-relative', `//item.jd.com/${JD_ID}.html`, 'jd', JD_ID],
  ['surrounding whitespace', `  https://item.jd.com/${JD_ID}.html \n`, 'jd', JD_ID],
  [
    'taobao share text',
    `【淘宝】限时特惠 https://item.taobao.com/item.htm?id=${TAOBAO_ID}&spm=a2141 「连衣裙」点击链接直接打开`,
    'taobao',
    TAOBAO_ID,
  ],
  [
    'share text with CJK right after the URL',
    `【淘宝】https://item.taobao.com/item.htm?id=${TAOBAO_ID}「连衣裙」`,
    'taobao',
    TAOBAO_ID,
  ],
  ['multi-line share text', `看看这个\nhttps://item.jd.com/${JD_ID}.html\n---\n京东`, 'jd', JD_ID],
  ['in parentheses with full stop', `(see https://item.jd.com/${JD_ID}.html).`, 'jd', JD_ID],
  ['in angle brackets', `<https://item.jd.com/${JD_ID}.html>`, 'jd', JD_ID],
  [
    'first URL wins',
    `https://item.jd.com/${JD_ID}.html and https://item.taobao.com/item.htm?id=${TAOBAO_ID}`,
    'jd',
    JD_ID,
  ],
];

describe('parseProductLink: accepted forms', () => {
  it.each(ACCEPTED)('%s', (_name, input, marketplace, itemId) => {
    expectLink(parseProductLink(input), marketplace, itemId);
  });

  it('accepts input exactly at the length limit', () => {
    const base = `https://item.jd.com/${JD_ID}.html?pad=`;
    expectLink(parseProductLink(base + 'a'.repeat(2048 - base.length)), 'jd', JD_ID);
  });

  it('exports the marketplaces in a frozen list', () => {
    expect(MARKETPLACES).toEqual(['taobao', 'tmall', 'weidian', '1688', 'jd']);
    expect(Object.isFrozen(MARKETPLACES)).toBe(true);
  });
});

const REFUSED: readonly [string, string, LinkRefusalReason][] = [
  // too_long
  ['over the length limit', `https://item.jd.com/${JD_ID}.html?pad=${'a'.repeat(2048)}`, 'too_long'],
  ['long non-URL text', 'x'.repeat(2049), 'too_long'],
  // malformed
  ['empty', '', 'malformed'],
  ['blank', '   \n\t', 'malformed'],
  ['text without a link', 'have a look at this dress', 'malformed'],
  ['ftp scheme', `ftp://item.taobao.com/item.htm?id=${TAOBAO_ID}`, 'malformed'],
  ['javascript scheme', 'javascript:alert(1)', 'malformed'],
  ['javascript wrapping a URL', `javascript:https://item.jd.com/${JD_ID}.html`, 'malformed'],
  ['file scheme', 'file:///etc/passwd', 'malformed'],
  ['data scheme', 'data:text/html,<b>hi</b>', 'malformed'],
  ['bare scheme', 'https://', 'malformed'],
  ['broken IPv6 host', 'https://[::1/item.htm', 'malformed'],
  ['userinfo', `https://user@item.jd.com/${JD_ID}.html`, 'malformed'],
  ['userinfo with password', `https://user:pw@item.jd.com/${JD_ID}.html`, 'malformed'],
  ['empty userinfo', `https://@item.jd.com/${JD_ID}.html`, 'malformed'],
  ['marketplace as userinfo', `https://item.jd.com@evil.example/${JD_ID}.html`, 'malformed'],
  ['scheme-less userinfo', `user@item.jd.com/${JD_ID}.html`, 'malformed'],
  ['custom port', `https://item.jd.com:8080/${JD_ID}.html`, 'malformed'],
  ['https default port on http', `http://item.jd.com:443/${JD_ID}.html`, 'malformed'],
  ['NUL character', `https://item.jd.com/${JD_ID}.html\u0000`, 'malformed'],
  ['bell before URL', `\u0007https://item.jd.com/${JD_ID}.html`, 'malformed'],
  ['DEL character', `https://item.jd.com/${JD_ID}\u007f.html`, 'malformed'],
  ['C1 control', `https://item.jd.com/${JD_ID}.html\u0085`, 'malformed'],
  ['zero-width space inside id', `https://item.taobao.com/item.htm?id=52\u200b0813250866`, 'malformed'],
  ['bidi override inside URL', `https://item.taobao.com/item.htm?id=\u202e${TAOBAO_ID}`, 'malformed'],
  ['zero-width space in scheme-less', `item.jd.com/${JD_ID}\u200b.html`, 'malformed'],
  ['host cut by non-ASCII', `https://item.taobaо.com/item.htm?id=${TAOBAO_ID}`, 'malformed'],
  ['conflicting ids', `https://item.taobao.com/item.htm?id=${TAOBAO_ID}&id=1`, 'malformed'],
  ['conflicting weidian ids', `https://weidian.com/item.html?itemID=${WEIDIAN_ID}&itemId=1`, 'malformed'],
  // unsupported_marketplace
  ['other shop', 'https://www.amazon.com/dp/B08N5WRWNW', 'unsupported_marketplace'],
  [
    'marketplace name without dot boundary',
    `https://eviltaobao.com/item.htm?id=${TAOBAO_ID}`,
    'unsupported_marketplace',
  ],
  [
    'marketplace as a subdomain',
    `https://taobao.com.evil.io/item.htm?id=${TAOBAO_ID}`,
    'unsupported_marketplace',
  ],
  ['full host as a subdomain', `https://item.jd.com.evil.io/${JD_ID}.html`, 'unsupported_marketplace'],
  ['lookalike TLD', `https://item.jd.co/${JD_ID}.html`, 'unsupported_marketplace'],
  ['IDN lookalike (scheme-less)', `item.taobaо.com/item.htm?id=${TAOBAO_ID}`, 'unsupported_marketplace'],
  ['IPv4 host', `https://127.0.0.1/item.htm?id=${TAOBAO_ID}`, 'unsupported_marketplace'],
  ['decimal IPv4 host', `http://2130706433/item.htm?id=${TAOBAO_ID}`, 'unsupported_marketplace'],
  ['hex IPv4 host', `http://0x7f.1/item.htm?id=${TAOBAO_ID}`, 'unsupported_marketplace'],
  ['IPv6 host', `https://[::1]/item.htm?id=${TAOBAO_ID}`, 'unsupported_marketplace'],
  [
    'redirector wrapping a marketplace',
    `https://evil.example/?to=https://item.jd.com/${JD_ID}.html`,
    'unsupported_marketplace',
  ],
  ['double trailing dot', `https://item.jd.com../${JD_ID}.html`, 'unsupported_marketplace'],
  // short_link
  ['taobao m.tb.cn', 'https://m.tb.cn/h.5gXyZ1A?tk=abcd', 'short_link'],
  ['taobao e.tb.cn', 'https://e.tb.cn/h.abcdef', 'short_link'],
  ['jd 3.cn', 'https://3.cn/1-AbCdEfG', 'short_link'],
  ['jd u.jd.com', 'https://u.jd.com/AbCdEf', 'short_link'],
  ['weidian k.weidian.com', 'https://k.weidian.com/AbCd1234', 'short_link'],
  ['1688 qr', 'https://qr.1688.com/s/AbCd1234', 'short_link'],
  ['scheme-less short link', 'm.tb.cn/h.5gXyZ1A', 'short_link'],
  [
    'taobao share text',
    '【淘宝】https://m.tb.cn/h.5gXyZ1A?tk=abcd CZ0001 「连衣裙」\n点击链接直接打开',
    'short_link',
  ],
  ['jd share text', '【京东】https://3.cn/1-AbCdEfG「商品」\n----------\n京东', 'short_link'],
  // missing_item_id
  ['taobao without id', 'https://item.taobao.com/item.htm?spm=a1z10', 'missing_item_id'],
  ['taobao empty id', 'https://item.taobao.com/item.htm?id=', 'missing_item_id'],
  ['taobao non-numeric id', 'https://item.taobao.com/item.htm?id=abc123', 'missing_item_id'],
  ['taobao zero id', 'https://item.taobao.com/item.htm?id=0', 'missing_item_id'],
  ['taobao all-zero id', 'https://item.taobao.com/item.htm?id=000', 'missing_item_id'],
  ['taobao leading-zero id', 'https://item.taobao.com/item.htm?id=0123', 'missing_item_id'],
  ['taobao 21-digit id', `https://item.taobao.com/item.htm?id=${'1'.repeat(21)}`, 'missing_item_id'],
  ['taobao search', 'https://s.taobao.com/search?q=dress', 'missing_item_id'],
  ['taobao shop', 'https://shop123456.taobao.com/', 'missing_item_id'],
  ['taobao bare domain', 'https://taobao.com', 'missing_item_id'],
  ['tmall without id', 'https://detail.tmall.com/item.htm?skuId=4242', 'missing_item_id'],
  ['weidian shop page', 'https://weidian.com/?userid=1234', 'missing_item_id'],
  ['1688 empty offer', 'https://detail.1688.com/offer/.html', 'missing_item_id'],
  ['jd home', 'https://item.jd.com/', 'missing_item_id'],
  ['jd non-numeric path', 'https://item.jd.com/abc.html', 'missing_item_id'],
  ['jd leading zero path', 'https://item.jd.com/0100012043978.html', 'missing_item_id'],
  ['jd mobile ware without id', 'https://item.m.jd.com/ware/view.action', 'missing_item_id'],
];

describe('parseProductLink: refusals', () => {
  it.each(REFUSED)('%s', (_name, input, reason) => {
    const message = expectRefusal(parseProductLink(input), reason);
    if (input.trim().length > 0) expect(message).not.toContain(input.trim());
  });

  it('names every supported marketplace when the marketplace is unsupported', () => {
    const message = expectRefusal(
      parseProductLink('https://www.amazon.com/dp/B08N5WRWNW'),
      'unsupported_marketplace',
    );
    for (const name of ['Taobao', 'Tmall', 'Weidian', '1688', 'JD']) expect(message).toContain(name);
  });

  it('tells the user to open short links in a browser', () => {
    const message = expectRefusal(parseProductLink('https://m.tb.cn/h.5gXyZ1A'), 'short_link');
    expect(message).toMatch(/browser/);
    expect(message).toMatch(/full item link/);
  });

  it('names the marketplace when the item id is missing', () => {
    const message = expectRefusal(parseProductLink('https://item.jd.com/'), 'missing_item_id');
    expect(message).toContain('JD');
  });
});

const marketplaceArb = fc.constantFrom(...MARKETPLACES);
const itemIdArb = fc.stringMatching(/^[1-9]\d{0,19}$/);

function assertWellFormed(result: ProductLinkResult): void {
  if (result.ok) {
    expect(MARKETPLACES).toContain(result.link.marketplace);
    expect(result.link.itemId).toMatch(/^[1-9]\d{0,19}$/);
    expect(result.link.canonicalUrl).toBe(CANONICAL[result.link.marketplace](result.link.itemId));
  } else {
    expect(REASONS).toContain(result.reason);
    expect(result.message.length).toBeGreaterThan(0);
  }
}

describe('parseProductLink: properties', () => {
  it('is idempotent on canonical URLs', () => {
    fc.assert(
      fc.property(marketplaceArb, itemIdArb, (marketplace, itemId) => {
        expectLink(parseProductLink(CANONICAL[marketplace](itemId)), marketplace, itemId);
      }),
    );
  });

  it('never throws on arbitrary strings', () => {
    const inputs = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
    );
    fc.assert(
      fc.property(inputs, (input) => {
        assertWellFormed(parseProductLink(input));
      }),
      { numRuns: 500 },
    );
  });

  it('never echoes a URL back in a refusal message', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true }), (input) => {
        const result = parseProductLink(input);
        if (!result.ok) expect(result.message).not.toContain(input);
      }),
    );
  });

  it('ignores extra query parameters on desktop URLs', () => {
    const keyArb = fc
      .oneof(
        fc.constantFrom('spm', 'scm', 'utm_source', 'utm_medium', 'ali_refid', 'skuId', 'ns'),
        fc.string(),
      )
      .filter((key) => !ID_PARAMS.includes(key));
    const paramsArb = fc.array(fc.tuple(keyArb, fc.string({ maxLength: 20 })), { maxLength: 10 });
    fc.assert(
      fc.property(marketplaceArb, itemIdArb, paramsArb, (marketplace, itemId, params) => {
        const canonical = CANONICAL[marketplace](itemId);
        const query = params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
        const separator = canonical.includes('?') ? '&' : '?';
        const input = query === '' ? canonical : `${canonical}${separator}${query}`;
        expect(parseProductLink(input)).toEqual(parseProductLink(canonical));
      }),
    );
  });

  it('refuses hosts that end with a marketplace domain without a dot boundary', () => {
    const labelArb = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?$/);
    const domainArb = fc.constantFrom(
      'taobao.com',
      'tmall.com',
      'tmall.hk',
      'weidian.com',
      '1688.com',
      'jd.com',
      'jd.hk',
    );
    const prefixArb = fc.constantFrom('', 'item.', 'detail.', 'm.');
    fc.assert(
      fc.property(prefixArb, labelArb, domainArb, itemIdArb, (prefix, label, domain, itemId) => {
        const result = parseProductLink(`https://${prefix}${label}${domain}/item.htm?id=${itemId}`);
        expectRefusal(result, 'unsupported_marketplace');
      }),
    );
  });

  it('refuses marketplace hosts used as a subdomain of another domain', () => {
    const labelArb = fc.stringMatching(/^[a-z](?:[a-z0-9-]{0,20}[a-z0-9])?$/);
    const hostArb = fc.constantFrom(
      'item.taobao.com',
      'detail.tmall.com',
      'weidian.com',
      'detail.1688.com',
      'item.jd.com',
    );
    fc.assert(
      fc.property(hostArb, labelArb, itemIdArb, (host, label, itemId) => {
        const result = parseProductLink(`https://${host}.${label}.io/item.htm?id=${itemId}`);
        expectRefusal(result, 'unsupported_marketplace');
      }),
    );
  });
});
