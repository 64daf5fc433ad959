import type { Container } from '../container.ts';
import type { ShopperPrincipal, SystemPrincipal } from '../modules/identity/index.ts';
import { randomToken } from '../modules/vault/index.ts';
import { normalizePhone } from '../platform/contact-fields.ts';
import { newId } from '../platform/ids.ts';

export interface SeededShopper {
  readonly id: string;
  readonly email: string;
  readonly password: string;
}

const NAMES = [
  'Anna Kowalska',
  'Lukas Becker',
  'Chloé Martin',
  'James Carter',
  'Sofia Rossi',
  'Mateo García',
  'Emma Jansen',
  'Noah Dubois',
];
const PLACES = [
  {
    country: 'PL',
    phone: '+48601',
    digits: 6,
    city: 'Warszawa',
    postalCode: '00-950',
    line1: 'ul. Marszałkowska 10',
  },
  {
    country: 'DE',
    phone: '+49151',
    digits: 8,
    city: 'Berlin',
    postalCode: '10115',
    line1: 'Invalidenstraße 5',
  },
  {
    country: 'FR',
    phone: '+33612',
    digits: 6,
    city: 'Paris',
    postalCode: '75002',
    line1: '12 rue de la Paix',
  },
  {
    country: 'US',
    phone: '+14152',
    digits: 6,
    city: 'San Francisco',
    postalCode: '94103',
    line1: '500 Howard St',
  },
];
const LINKS = [
  'https://item.taobao.com/item.htm?id=6543210987',
  'https://detail.tmall.com/item.htm?id=7123456789',
  'https://weidian.com/item.html?itemID=4412345678',
  'https://detail.1688.com/offer/612345678901.html',
  'https://item.jd.com/100012043978.html',
];
// The smallest valid PNG (1×1, transparent), standing in for a warehouse QC photo.
const DEMO_PHOTO = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

const warehouse: SystemPrincipal = { kind: 'system', purpose: 'demo seed' };

/**
 * Shoppers with addresses, a funded wallet, orders in every state and parcels in several: enough to see
 * and test every screen. Passwords are generated now and returned once; nothing here is a fixed secret.
 */
export async function seedDemo(container: Container, users: number): Promise<SeededShopper[]> {
  const seeded: SeededShopper[] = [];
  for (let n = 0; n < users; n++) seeded.push(await seedShopper(container, n));
  return seeded;
}

async function seedShopper(container: Container, n: number): Promise<SeededShopper> {
  const { accounts } = container.identity;
  const { addresses, orders, parcels, photos, wallet } = container.commerce;
  const place = PLACES[n % PLACES.length] as (typeof PLACES)[number];
  const email = `shopper-${randomToken('x').slice(2, 10).toLowerCase()}@demo.bulwark.test`;
  const password = randomToken('demo').slice(0, 24);
  const phone =
    normalizePhone(
      `${place.phone}${String((n * 7919 + 123457) % 10 ** place.digits).padStart(place.digits, '2')}`,
    ) ?? '+48601234567';
  const fullName = NAMES[n % NAMES.length] as string;
  const { userId } = await accounts.registerShopper({
    email,
    password,
    fullName,
    phone,
    country: place.country,
  });
  if (!userId) throw new Error('the demo shopper was not created');
  // Seeding acts as the shopper without a login; the session ID is never stored.
  const shopper: ShopperPrincipal = {
    kind: 'shopper',
    userId,
    sessionId: newId('session'),
    via: 'bearer',
    authenticatedAt: new Date(),
    enrolmentOnly: false,
  };

  const address = await addresses.create(shopper, {
    recipientName: fullName,
    phone,
    line1: place.line1,
    city: place.city,
    postalCode: place.postalCode,
    country: place.country,
  });
  await wallet.topUp(shopper.userId, 5_000_000, `seed-top-up-${shopper.userId}`);

  const order = async (index: number) =>
    orders.create(shopper, {
      items: [
        {
          link: LINKS[index % LINKS.length] as string,
          title: `Demo item ${index + 1}`,
          quantity: 1 + (index % 3),
          unitPrice: 4_900 + index * 1_000,
        },
      ],
      domesticShipping: 800,
    });
  // The lifecycle up to approval, one step per stage; `advance(id, k)` runs the first k steps.
  const stages: ((id: string) => Promise<unknown>)[] = [
    (id) => orders.pay(shopper, id, `seed-pay-${id}`),
    (id) => orders.transition(warehouse, id, 'startPurchase'),
    (id) => orders.transition(warehouse, id, 'markPurchased'),
    (id) => orders.transition(warehouse, id, 'markArrived', { weightGrams: 450 }),
    async (id) => {
      await photos.add(warehouse, id, DEMO_PHOTO);
      return orders.transition(warehouse, id, 'markQcReady');
    },
    (id) => orders.transition(shopper, id, 'approve'),
  ];
  let made = 0;
  const orderAt = async (stageCount: number) => {
    const { id } = await order(made++);
    for (const stage of stages.slice(0, stageCount)) await stage(id);
    return id;
  };

  for (let count = 0; count <= stages.length; count++) await orderAt(count); // draft … approved
  await orders.transition(shopper, await orderAt(5), 'requestReturn');
  await orders.cancelByShopper(shopper, await orderAt(0)); // withdrawn
  await orders.cancelByShopper(shopper, await orderAt(1)); // refunded
  await orders.cancelByStaff(warehouse, await orderAt(0), 'the seller no longer lists this item');

  // Parcels in four states: requested, packed, shipped, delivered (its orders follow).
  const parcelOf = async (orderCount: number, shippingLine: string) => {
    const orderIds: string[] = [];
    for (let i = 0; i < orderCount; i++) orderIds.push(await orderAt(stages.length));
    return (
      await parcels.create(shopper, {
        orderIds,
        shippingLine,
        addressId: address.id,
        declaredValue: 5_000 * orderCount,
      })
    ).id;
  };
  const tracking = () => `LX${String(100_000_000 + n * 10 + made).padStart(9, '0')}CN`;
  await parcelOf(1, 'ems');
  await parcels.pack(warehouse, await parcelOf(1, 'dhl-express'), 700);
  const shipped = await parcelOf(1, 'ems');
  await parcels.pack(warehouse, shipped, 600);
  await parcels.pay(shopper, shipped, `seed-ship-${shipped}`);
  await parcels.ship(warehouse, shipped, tracking());
  const delivered = await parcelOf(2, 'china-post-sal');
  await parcels.pack(warehouse, delivered, 1_300);
  await parcels.pay(shopper, delivered, `seed-ship-${delivered}`);
  await parcels.ship(warehouse, delivered, tracking());
  await parcels.deliver(warehouse, delivered);
  return { id: shopper.userId, email, password };
}
