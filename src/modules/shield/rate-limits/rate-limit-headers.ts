import type { RateLimitLayer } from '../../../config/index.ts';
import type { Decision } from './buckets.ts';

/**
 * The caller's own budgets are shown on every answer. The global ceiling is operational capacity and
 * the account budget is other people's traffic to that account (a watcher would see its owner log in):
 * both are shown only on the answer they refuse (draft-ietf-httpapi-ratelimit-headers-11 §8.2).
 */
const ALWAYS_SHOWN: ReadonlySet<RateLimitLayer> = new Set(['ip', 'network', 'principal', 'route', 'listing']);

export interface RateLimitFields {
  /** `RateLimit-Policy`: one Structured Field List item per policy, e.g. `"ip";q=600;w=60`. */
  readonly policy: string;
  /** `RateLimit`: what is left of each, e.g. `"ip";r=599;t=60`. */
  readonly limit: string;
}

/** The draft-11 header fields for the decisions taken on one request, or null when none may be shown. */
export function rateLimitFields(decisions: readonly Decision[]): RateLimitFields | null {
  const shown = decisions.filter((d) => ALWAYS_SHOWN.has(d.layer) || !d.allowed);
  if (shown.length === 0) return null;
  return {
    policy: shown
      .map((d) => {
        // Weighted layers say what this route costs (a vendor parameter, as §3.1 asks for extensions).
        const cost = d.cost > 1 ? `;bulwark-cost=${d.cost}` : '';
        return `"${d.layer}";q=${d.budget.points};w=${d.budget.durationSeconds}${cost}`;
      })
      .join(', '),
    limit: shown.map((d) => `"${d.layer}";r=${d.remaining};t=${secondsLeft(d)}`).join(', '),
  };
}

/** Whole seconds until the window ends, never 0 while something is spent (clients would retry at once). */
export function secondsLeft(decision: Decision): number {
  return Math.max(1, Math.ceil(decision.resetMs / 1000));
}
