/**
 * Outbound HTTP: the one way application code reaches another server (DESIGN §3). Each purpose makes its
 * own fetcher with its own allow-list and limits; global `fetch` is forbidden by lint everywhere else.
 */
import { createFetcher, type Fetcher, type FetcherOptions, type Resolver } from './fetcher.ts';

export { type CanonicalAddress, canonicalAddress, isPublicAddress } from './addresses.ts';
export {
  createFetcher,
  type Fetcher,
  type FetcherOptions,
  type FetchRequest,
  type FetchResponse,
  OUTBOUND_CONNECT_CHANNEL,
  type ResolvedAddress,
  type Resolver,
} from './fetcher.ts';
export { type OutboundErrorCode, OutboundErrors } from './outbound.errors.ts';

/**
 * WARNING: test-only. What a test harness may change about every fetcher the container makes: a resolver
 * of its own and the loopback fakes it may reach. Passed in code through the container's options, never
 * read from the environment or the configuration.
 */
export interface OutboundTestOptions {
  readonly resolver?: Resolver;
  readonly allowPrivateForTests?: readonly string[];
  readonly allowHttpForTests?: boolean;
}

/** Makes a fetcher for one purpose; the container's factory applies the test options, if any. */
export type FetcherFactory = (options: FetcherOptions) => Fetcher;

export function fetcherFactory(testOptions: OutboundTestOptions = {}): FetcherFactory {
  return (options) => createFetcher({ ...options, ...testOptions });
}
