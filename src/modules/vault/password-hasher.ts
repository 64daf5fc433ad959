import { createHash } from 'node:crypto';
import { type Algorithm, hash, verify } from '@node-rs/argon2';

// Algorithm.Argon2id; the enum is declared `const`, which isolated modules cannot read.
const ARGON2ID = 2 as Algorithm;

/** Argon2id cost: memory in KiB, passes, lanes. */
export interface Argon2Cost {
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

/** OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane): configuration may go above it, never below. */
export const ARGON2_PARAMS: Argon2Cost & { algorithm: Algorithm } = {
  algorithm: ARGON2ID,
  memoryCost: 19 * 1024,
  timeCost: 2,
  parallelism: 1,
};

export interface PasswordHasher {
  readonly cost: Argon2Cost;
  hash(password: string): Promise<string>;
  /** Verifies against `stored`, or against a dummy hash when there is none, so both take the same time. */
  verify(stored: string | null, password: string): Promise<boolean>;
  /** Whether `stored` was made more cheaply than this hasher would make it now. */
  needsRehash(stored: string): boolean;
}

/** Hashes on libuv's thread pool, never on the event loop. */
export async function createPasswordHasher(cost: Argon2Cost = ARGON2_PARAMS): Promise<PasswordHasher> {
  const params = { ...cost, algorithm: ARGON2ID };
  // A real hash of a random string with the same parameters: unknown users cost as much as known ones.
  const dummy = await hash(`dummy-${Math.random()}`, params);
  return {
    cost,
    needsRehash: (stored) => needsRehash(stored, cost),
    hash: (password) => hash(password, params),
    async verify(stored, password) {
      try {
        const ok = await verify(stored ?? dummy, password);
        return stored !== null && ok;
      } catch {
        return false;
      }
    },
  };
}

// `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`; the parameters may come in any order.
const PHC_ARGON2ID = /^\$argon2id\$v=(\d+)\$([a-z]=\d+(?:,[a-z]=\d+)*)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/**
 * Whether a stored hash should be replaced by one made with `cost` the next time its password is
 * known (a successful login): any other algorithm, Argon2 version, or weaker memory, passes or lanes.
 * A value that does not parse (a closed account's placeholder, say) is true too; never throws.
 */
export function needsRehash(stored: string, cost: Argon2Cost = ARGON2_PARAMS): boolean {
  const match = PHC_ARGON2ID.exec(stored);
  if (!match) return true;
  if (Number(match[1]) !== 0x13) return true;
  const params = new Map(
    (match[2] ?? '').split(',').map((pair) => {
      const [name = '', value = ''] = pair.split('=');
      return [name, Number(value)] as const;
    }),
  );
  const memory = params.get('m');
  const passes = params.get('t');
  const lanes = params.get('p');
  if (memory === undefined || passes === undefined || lanes === undefined) return true;
  return memory < cost.memoryCost || passes < cost.timeCost || lanes < cost.parallelism;
}

/**
 * The key of an already normalised password in the bundled common-password list: the first 48 bits of
 * its SHA-256, as an exact integer. 48 bits keep ~475,000 keys near 2 MB on disk while a random
 * password collides with one with probability under 2 in a billion.
 */
export function commonPasswordKey(normalised: string): number {
  return createHash('sha256').update(normalised, 'utf8').digest().readUIntBE(0, 6);
}

/**
 * SHA-1 of a password in upper-case hex, as the Pwned Passwords range API indexes it. SHA-1 is the
 * API's lookup key here, not a protection: only its first five digits ever leave the process.
 */
export function pwnedPasswordsDigest(password: string): string {
  return createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
}
