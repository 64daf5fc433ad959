/** The shipping lines a shopper can pick. Fees are in fen: a first-weight price plus a price per 500 g after. */
export interface ShippingLine {
  readonly id: string;
  readonly name: string;
  /** ISO country codes served, or 'worldwide'. */
  readonly destinations: 'worldwide' | readonly string[];
  readonly firstWeightGrams: number;
  readonly firstWeightFee: number;
  readonly extraPer500gFee: number;
  readonly maxWeightGrams: number;
}

const EU = [
  'AT',
  'BE',
  'BG',
  'HR',
  'CY',
  'CZ',
  'DK',
  'EE',
  'FI',
  'FR',
  'DE',
  'GR',
  'HU',
  'IE',
  'IT',
  'LV',
  'LT',
  'LU',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SK',
  'SI',
  'ES',
  'SE',
];

export const SHIPPING_LINES: readonly ShippingLine[] = [
  {
    id: 'ems',
    name: 'EMS',
    destinations: 'worldwide',
    firstWeightGrams: 500,
    firstWeightFee: 12_000,
    extraPer500gFee: 4_000,
    maxWeightGrams: 30_000,
  },
  {
    id: 'dhl-express',
    name: 'DHL Express',
    destinations: 'worldwide',
    firstWeightGrams: 500,
    firstWeightFee: 22_000,
    extraPer500gFee: 6_000,
    maxWeightGrams: 70_000,
  },
  {
    id: 'china-post-sal',
    name: 'China Post SAL',
    destinations: 'worldwide',
    firstWeightGrams: 500,
    firstWeightFee: 8_000,
    extraPer500gFee: 2_500,
    maxWeightGrams: 20_000,
  },
  {
    id: 'eu-tax-free',
    name: 'EU tax-included line',
    destinations: EU,
    firstWeightGrams: 500,
    firstWeightFee: 15_000,
    extraPer500gFee: 3_500,
    maxWeightGrams: 25_000,
  },
  {
    id: 'us-express',
    name: 'US express line',
    destinations: ['US'],
    firstWeightGrams: 500,
    firstWeightFee: 14_000,
    extraPer500gFee: 3_800,
    maxWeightGrams: 30_000,
  },
];

export function findShippingLine(id: string): ShippingLine | undefined {
  return SHIPPING_LINES.find((line) => line.id === id);
}

export function serves(line: ShippingLine, country: string): boolean {
  return line.destinations === 'worldwide' || line.destinations.includes(country);
}

export function shippingFee(line: ShippingLine, weightGrams: number): number {
  const extra = Math.max(0, weightGrams - line.firstWeightGrams);
  return line.firstWeightFee + Math.ceil(extra / 500) * line.extraPer500gFee;
}
