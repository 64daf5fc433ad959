import { type Algorithm, hash, verify } from '@node-rs/argon2';

// Algorithm.Argon2id; the enum is declared `const`, which isolated modules cannot read.
const ARGON2ID = 2 as Algorithm;

/** OWASP's minimum for Argon2id: 19 MiB memory, 2 passes, 1 lane. Computed on libuv's thread pool. */
export const ARGON2_PARAMS = { algorithm: ARGON2ID, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 };

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Verifies against `stored`, or against a dummy hash when there is none, so both take the same time. */
  verify(stored: string | null, password: string): Promise<boolean>;
}

export async function createPasswordHasher(): Promise<PasswordHasher> {
  // A real hash of a random string with the same parameters: unknown users cost as much as known ones.
  const dummy = await hash(`dummy-${Math.random()}`, ARGON2_PARAMS);
  return {
    hash: (password) => hash(password, ARGON2_PARAMS),
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
