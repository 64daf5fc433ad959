/**
 * Sample IDs for route path parameters, chosen by the collection the parameter names (`/orders/:id` gets
 * an order ID, `/photos/:photoId` a photo ID): well-formed, so requests reach the route's own checks, and
 * never existing. A route with a parameter under a collection not listed here fails loudly, so a new
 * route's walk is a decision rather than a silent 400.
 */
const PREFIX_BY_COLLECTION: Readonly<Record<string, string>> = {
  addresses: 'adr',
  'api-keys': 'key',
  containments: 'cnt',
  customers: 'usr',
  exports: 'pex',
  incidents: 'inc',
  notices: 'ntc',
  orders: 'ord',
  parcels: 'pcl',
  passkeys: 'psk',
  photos: 'pho',
  sessions: 'ses',
  staff: 'usr',
};

/** Parameters that are not IDs: a well-formed value of their own kind. */
const SAMPLE_BY_COLLECTION: Readonly<Record<string, string>> = {
  reports: 'uk',
  playbooks: 'stolen-token',
  steps: 'revoke',
};

const NEVER_ISSUED = '0'.repeat(26);

/** The route's URL with every `:param` replaced by a well-formed ID that does not exist. */
export function concreteUrl(url: string): string {
  const segments = url.split('/');
  return segments
    .map((segment, index) => {
      if (!segment.startsWith(':')) return segment;
      const collection = segments[index - 1] ?? '';
      const sample = SAMPLE_BY_COLLECTION[collection];
      if (sample) return sample;
      const prefix = PREFIX_BY_COLLECTION[collection];
      if (!prefix) throw new Error(`no sample ID for ${segment} after /${collection} in ${url}: add one`);
      return `${prefix}_${NEVER_ISSUED}`;
    })
    .join('/');
}
