import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommerceErrors } from '../../src/modules/commerce/index.ts';
import { IdentityErrors } from '../../src/modules/identity/index.ts';
import { RespondErrors } from '../../src/modules/respond/index.ts';
import { ShieldErrors } from '../../src/modules/shield/index.ts';
import { TrailErrors } from '../../src/modules/trail/index.ts';
import { VaultErrors } from '../../src/modules/vault/index.ts';
import { WatchErrors } from '../../src/modules/watch/index.ts';
import { PlatformErrors } from '../../src/platform/errors.ts';
import { OutboundErrors } from '../../src/platform/outbound/index.ts';

const catalogues = {
  platform: PlatformErrors,
  outbound: OutboundErrors,
  identity: IdentityErrors,
  vault: VaultErrors,
  commerce: CommerceErrors,
  shield: ShieldErrors,
  trail: TrailErrors,
  watch: WatchErrors,
  respond: RespondErrors,
};

describe('error catalogue', () => {
  const entries = Object.entries(catalogues).flatMap(([module, errors]) =>
    Object.entries(errors.catalogue).map(([code, spec]) => ({ module, code, ...spec })),
  );

  it('codes are unique, carry their module prefix, and map to 4xx or 5xx', () => {
    const codes = entries.map((entry) => entry.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const entry of entries) {
      expect(entry.code.startsWith(`${entry.module.toUpperCase()}_`), entry.code).toBe(true);
      expect(entry.status >= 400 && entry.status < 600, entry.code).toBe(true);
    }
  });

  it('every code is documented in docs/errors.md with its status', () => {
    const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');
    for (const entry of entries) {
      expect(doc, entry.code).toMatch(
        new RegExp(`\\|\\s*\`${entry.code}\`\\s*\\|\\s*${entry.status}\\s*\\|`),
      );
    }
  });
});
