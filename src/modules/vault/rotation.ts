import type { AnyDb } from '../../platform/db/index.ts';
import type { EventBus } from '../../platform/events.ts';
import { countKeysByVersion, keysToRewrap, replaceWrapping, type VaultDb } from './data-keys.repository.ts';
import type { MasterKeyProvider, MasterKeyVersion } from './keyring.ts';
import { type Vault, wrapContext } from './vault.service.ts';

export interface RotationProgress {
  readonly version: number;
  readonly done: number;
  readonly total: number;
}

export interface RotationResult {
  readonly version: number;
  readonly resumed: boolean;
  readonly rewrapped: number;
  readonly retired: number[];
}

export interface KeyStatus {
  readonly activeVersion: number;
  readonly versions: (MasterKeyVersion & { dataKeys: number; ageDays: number })[];
  readonly shredded: number;
}

const BATCH = 200;
// Other nodes notice a new active version within the keyring's 5 s cache; wait twice that before
// retiring an old one, so no node can still be wrapping new data keys with it.
export const RETIRE_GRACE_MS = 10_000;
// Longest stretch of re-wrapping before requests get the event loop back.
const YIELD_EVERY_MS = 10;

/**
 * Online master-key rotation: a new version becomes active, then every data key is unwrapped with its old
 * version and wrapped with the new one, in small batches, while the API keeps serving (field ciphertexts
 * do not change). Run it again after a crash and it resumes instead of starting another version.
 */
export async function rotateMasterKey(
  db: AnyDb,
  deps: {
    provider: MasterKeyProvider;
    vault: Vault;
    events: EventBus;
    sleep?: (ms: number) => Promise<void>;
  },
  onProgress: (progress: RotationProgress) => void = () => {},
): Promise<RotationResult> {
  const vdb = db as VaultDb;
  const { provider } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  // The newest live version as the database has it: this node's keyring may still cache an older active
  // version (for a few seconds after a rotation run elsewhere), and "resuming" towards that one would
  // re-wrap every data key under a version that is retired, or about to be.
  const live = (await provider.versions(db)).filter((v) => !v.retiredAt).map((v) => v.version);
  let version = Math.max(await provider.activeVersion(db), ...live);
  const before = await countKeysByVersion(vdb);
  const pending = [...before].filter(([v]) => v !== version).reduce((sum, [, n]) => sum + n, 0);
  // Unfinished: data keys still on another version, or an older version not yet retired (a crash during
  // the grace period).
  const resumed = pending > 0 || live.some((v) => v !== version);
  if (!resumed) version = await provider.createVersion(db);
  const total = [...(await countKeysByVersion(vdb))]
    .filter(([v]) => v !== version)
    .reduce((s, [, n]) => s + n, 0);

  let done = 0;
  let ranSince = Date.now();
  const rewrapAll = async () => {
    for (;;) {
      const rows = await keysToRewrap(vdb, version, BATCH);
      if (rows.length === 0) return;
      for (const row of rows) {
        // Embedded PGlite answers in microtasks alone: without a yield now and then the server could not
        // serve a single request (nor its admin socket) until the whole pass was over.
        if (Date.now() - ranSince >= YIELD_EVERY_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          ranSince = Date.now();
        }
        if (row.wrappedKey === null) continue;
        const context = wrapContext(row.id, row.ownerId);
        const key = await provider.unwrap(db, row.masterVersion, row.wrappedKey, context);
        if (await replaceWrapping(vdb, row, await provider.wrap(db, version, key, context), version))
          done += 1;
      }
      onProgress({ version, done, total: Math.max(total, done) });
    }
  };
  await rewrapAll();
  // Stragglers: a node that had not yet seen the new version may have made a key with an old one.
  await sleep(RETIRE_GRACE_MS);
  await rewrapAll();
  onProgress({ version, done, total: done });

  const counts = await countKeysByVersion(vdb);
  const retired: number[] = [];
  for (const { version: old, retiredAt } of await provider.versions(db)) {
    if (old !== version && !retiredAt && !counts.get(old)) {
      await provider.retire(db, old);
      retired.push(old);
    }
  }
  deps.events.emit('vault.key_rotated', {
    fromVersions: [...before.keys()],
    toVersion: version,
    rewrapped: done,
  });
  return { version, resumed, rewrapped: done, retired };
}

export async function keyStatus(
  db: AnyDb,
  provider: MasterKeyProvider,
  shredded: number,
): Promise<KeyStatus> {
  const counts = await countKeysByVersion(db as VaultDb);
  const now = Date.now();
  return {
    activeVersion: await provider.activeVersion(db),
    versions: (await provider.versions(db)).map((v) => ({
      ...v,
      dataKeys: counts.get(v.version) ?? 0,
      ageDays: Math.floor((now - v.createdAt.getTime()) / 86_400_000),
    })),
    shredded,
  };
}
