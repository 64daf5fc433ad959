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
  let version = await provider.activeVersion(db);
  const before = await countKeysByVersion(vdb);
  const pending = [...before].filter(([v]) => v !== version).reduce((sum, [, n]) => sum + n, 0);
  const resumed = pending > 0;
  if (!resumed) version = await provider.createVersion(db);
  const total = [...(await countKeysByVersion(vdb))]
    .filter(([v]) => v !== version)
    .reduce((s, [, n]) => s + n, 0);

  let done = 0;
  const rewrapAll = async () => {
    for (;;) {
      const rows = await keysToRewrap(vdb, version, BATCH);
      if (rows.length === 0) return;
      for (const row of rows) {
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
