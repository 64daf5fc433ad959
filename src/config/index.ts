export type {
  Config,
  PiiBudget,
  PiiBudgetRole,
  PiiBudgets,
  PrivacyContact,
  RateBudget,
  RateLimitLayer,
  RateLimits,
  WatchThresholds,
} from './config.schema.ts';
export { PII_BUDGET_ROLES, RATE_LIMIT_LAYERS, Secret } from './config.schema.ts';
export { ConfigError, isLoopback, loadConfig } from './load-config.ts';
