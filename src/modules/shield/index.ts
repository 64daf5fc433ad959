/**
 * Shield: what bounds any caller. Security headers on every answer, layered rate limits, and PII read
 * budgets with two-person bulk exports, and challenges for sources marked as automated.
 */
export * from './budgets/index.ts';
export * from './challenges/index.ts';
export { installCors } from './cors.ts';
export { installFreezes } from './freezes/freezes.hook.ts';
export { registerFreezeRoutes } from './freezes/freezes.routes.ts';
export { createFreezes, type Freeze, type FreezeMode, type Freezes } from './freezes/freezes.service.ts';
export {
  type Buckets,
  type BucketsDeps,
  createBuckets,
  type Decision,
  MAX_MEMORY_KEYS,
} from './rate-limits/buckets.ts';
export { addressKey, networkKey } from './rate-limits/client-keys.ts';
export {
  installRateLimits,
  type RateLimitDeps,
  type RateLimitInstallation,
  type RouteRateLimit,
} from './rate-limits/rate-limit.hooks.ts';
export { MAX_ROUTE_COST, ROUTE_COSTS, type RouteRate } from './rate-limits/route-costs.ts';
export { installSecurityHeaders, pagePolicy } from './security-headers.ts';
export { ShieldErrors } from './shield.errors.ts';
