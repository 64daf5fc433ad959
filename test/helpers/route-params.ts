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

/** A well-formed value for a parameter after `/collection/`: an ID that does not exist, or a name. */
export function sampleParam(collection: string, where = collection): string {
  const sample = SAMPLE_BY_COLLECTION[collection];
  if (sample) return sample;
  const prefix = PREFIX_BY_COLLECTION[collection];
  if (!prefix) throw new Error(`no sample ID after /${collection} in ${where}: add one`);
  return `${prefix}_${NEVER_ISSUED}`;
}

/** The route's URL with every `:param` replaced by a well-formed ID that does not exist. */
export function concreteUrl(url: string): string {
  const segments = url.split('/');
  return segments
    .map((segment, index) =>
      segment.startsWith(':') ? sampleParam(segments[index - 1] ?? '', url) : segment,
    )
    .join('/');
}
