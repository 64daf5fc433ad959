export type { Config, RateBudget, RateLimitLayer, RateLimits } from './config.schema.ts';
export { RATE_LIMIT_LAYERS, Secret } from './config.schema.ts';
export { ConfigError, loadConfig } from './load-config.ts';
