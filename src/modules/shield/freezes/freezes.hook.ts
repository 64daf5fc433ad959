import type { App } from '../../../platform/http/app-types.ts';
import { ShieldErrors } from '../shield.errors.ts';
import type { Freezes } from './freezes.service.ts';

/** Refuses requests a freeze covers with 503 before any handler runs (the route's own path decides). */
export function installFreezes(app: App, freezes: Freezes): void {
  app.addHook('onRequest', async (request) => {
    const url = request.routeOptions.url;
    if (!url) return;
    const freeze = await freezes.stopping(url, request.method);
    if (freeze) {
      throw ShieldErrors.SHIELD_ROUTE_FROZEN(
        freeze.mode === 'off'
          ? `${freeze.prefix} is switched off while an incident is contained.`
          : `${freeze.prefix} is read-only while an incident is contained.`,
      );
    }
  });
}
