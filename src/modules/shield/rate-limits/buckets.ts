import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import {
  RATE_LIMIT_LAYERS,
  type RateBudget,
  type RateLimitLayer,
  type RateLimits,
  type Secret,
} from '../../../config/index.ts';
import type { EventBus } from '../../../platform/events.ts';

/** One layer's answer for one key: allowed or not, what is left and when the window ends. */
export interface Decision {
  readonly layer: RateLimitLayer;
  readonly allowed: boolean;
  /** Points left in this window after this request (0 when refused). */
  readonly remaining: number;
  /** Milliseconds until the window ends and the budget is whole again. */
  readonly resetMs: number;
  readonly budget: RateBudget;
  /** Points this request spent. */
  readonly cost: number;
}

/** Where buckets live: Redis shared by every node, or this process's memory. */
export interface Buckets {
  consume(layer: RateLimitLayer, key: string, points: number): Promise<Decision>;
  /** Redis is configured (limits are meant to be shared between nodes). */
  readonly shared: boolean;
  /** Redis is configured but unreachable: every node limits on its own until it answers again. */
  readonly degraded: boolean;
  /** Waits for the first Redis connection, at most `timeoutMs`; reports degraded if it does not come. */
  connected(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface BucketsDeps {
  readonly limits: RateLimits;
  readonly redisUrl: Secret | null;
  readonly events: EventBus;
  readonly log: { error(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Namespace of the Redis keys; tests and benchmarks pass their own. */
  readonly keyPrefix?: string;
  /** Most distinct keys one layer holds in memory (the embedded default, or during a Redis outage). */
  readonly maxMemoryKeys?: number;
}

// A flood from ever-new addresses (an IPv6 /48 holds 2^80) must not grow memory without bound: past this
// many live keys a layer refuses new keys for a second and keeps serving the ones it knows (fail closed).
export const MAX_MEMORY_KEYS = 100_000;
const FULL_RETRY_MS = 1_000;
// Redis answers in about a millisecond; past this the node stops waiting and limits alone. Not less: after
// the event loop stalls, Node runs due timers before reading sockets, so a short timeout fires on answers
// that have already arrived, and a loaded node would flap between shared and per-node limits.
const COMMAND_TIMEOUT_MS = 1_000;
const CONNECT_TIMEOUT_MS = 2_000;
const PROBE_INTERVAL_MS = 1_000;

/**
 * RateLimiterMemory with a hard cap on live keys. `onUse` tells the owner when it served a request as the
 * Redis limiter's insurance, which is how a Redis failure that still looks connected is noticed.
 */
class BoundedMemoryLimiter extends RateLimiterMemory {
  readonly #keys: Map<string, unknown>;

  constructor(
    budget: RateBudget,
    keyPrefix: string,
    private readonly maxKeys: number,
    private readonly onUse?: () => void,
  ) {
    super({ points: budget.points, duration: budget.durationSeconds, keyPrefix });
    // rate-limiter-flexible keeps its buckets in a Map it does not expose; a test proves the cap holds,
    // so an upgrade that moves it fails there rather than silently lifting the bound.
    const storage = (this as unknown as { _memoryStorage?: { _storage?: unknown } })._memoryStorage?._storage;
    if (!(storage instanceof Map)) throw new Error('rate-limiter-flexible memory storage is not a Map');
    this.#keys = storage;
  }

  override consume(key: string | number, points = 1, options?: { [key: string]: unknown }) {
    this.onUse?.();
    if (this.#keys.size >= this.maxKeys && !this.#keys.has(this.getKey(key))) {
      return Promise.reject(new RateLimiterRes(0, FULL_RETRY_MS, this.points + points, false));
    }
    return super.consume(key, points, options);
  }
}

interface Layer {
  readonly budget: RateBudget;
  readonly memory: BoundedMemoryLimiter;
  readonly redis: RateLimiterRedis | null;
}

export function createBuckets(deps: BucketsDeps): Buckets {
  const prefix = deps.keyPrefix ?? 'bulwark:rl';
  const maxKeys = deps.maxMemoryKeys ?? MAX_MEMORY_KEYS;
  const client = deps.redisUrl ? redisClient(deps.redisUrl) : null;
  let closing = false;
  let degradedSince: number | null = null;
  let probe: NodeJS.Timeout | null = null;

  const degrade = (reason: string) => {
    if (!client || closing || degradedSince !== null) return;
    degradedSince = Date.now();
    deps.events.emit('shield.limiter_degraded', { store: 'redis', reason });
    deps.log.error(
      { event: 'shield.limiter_degraded', reason },
      'rate limits: Redis is unreachable; each node now limits on its own',
    );
    probe = setInterval(() => void checkRecovery(), PROBE_INTERVAL_MS);
    probe.unref();
  };

  const checkRecovery = async () => {
    if (!client || degradedSince === null || client.status !== 'ready') return;
    try {
      await client.ping();
    } catch {
      return;
    }
    if (degradedSince === null) return;
    const degradedForMs = Date.now() - degradedSince;
    degradedSince = null;
    if (probe) clearInterval(probe);
    probe = null;
    deps.events.emit('shield.limiter_recovered', { store: 'redis', degradedForMs });
    deps.log.warn(
      { event: 'shield.limiter_recovered', degradedForMs },
      'rate limits: Redis answers again; limits are shared between nodes',
    );
  };

  if (client) {
    // Never the URL or the message: either may name the host and the password.
    client.on('error', (error: NodeJS.ErrnoException) => degrade(error.code ?? 'connection error'));
    client.on('close', () => degrade('connection closed'));
    client.on('ready', () => void checkRecovery());
  }

  const layers = new Map<RateLimitLayer, Layer>(
    RATE_LIMIT_LAYERS.map((name) => {
      const budget = deps.limits[name];
      const keyPrefix = `${prefix}:${name}`;
      const memory = new BoundedMemoryLimiter(budget, keyPrefix, maxKeys, () =>
        degrade('command failed or timed out'),
      );
      const redis = client
        ? new RateLimiterRedis({
            storeClient: client,
            points: budget.points,
            duration: budget.durationSeconds,
            keyPrefix,
            // Any Redis failure spends the same budget in this node's memory instead: never "no limit".
            insuranceLimiter: memory,
            rejectIfRedisNotReady: true,
          } as ConstructorParameters<typeof RateLimiterRedis>[0])
        : null;
      // Without Redis the memory limiter is the store itself, not insurance: it must not report degradation.
      const plain = redis ? memory : new BoundedMemoryLimiter(budget, keyPrefix, maxKeys);
      return [name, { budget, memory: plain, redis }];
    }),
  );

  return {
    shared: client !== null,
    get degraded() {
      return degradedSince !== null;
    },
    async consume(name, key, points) {
      const layer = layers.get(name) as Layer;
      // While degraded, skip Redis entirely: a hung server would otherwise add its timeout to every request.
      const limiter = layer.redis && degradedSince === null ? layer.redis : layer.memory;
      try {
        const res = await limiter.consume(key, points);
        return decision(name, layer.budget, points, true, res);
      } catch (error) {
        if (error instanceof RateLimiterRes) return decision(name, layer.budget, points, false, error);
        throw error;
      }
    },
    async connected(timeoutMs) {
      if (!client || client.status === 'ready') return;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          client.off('ready', done);
          client.off('error', done);
          resolve();
        };
        // A refused connection reports itself through the 'error' listener above; silence is reported here.
        const timer = setTimeout(() => {
          degrade('no connection at start');
          done();
        }, timeoutMs);
        client.once('ready', done);
        client.once('error', done);
      });
    },
    async close() {
      closing = true;
      if (probe) clearInterval(probe);
      if (!client) return;
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}

function decision(
  layer: RateLimitLayer,
  budget: RateBudget,
  cost: number,
  allowed: boolean,
  res: RateLimiterRes,
): Decision {
  return {
    layer,
    allowed,
    remaining: allowed ? Math.max(res.remainingPoints, 0) : 0,
    resetMs: Math.max(res.msBeforeNext, 0),
    budget,
    cost,
  };
}

function redisClient(url: Secret): Redis {
  return new Redis(url.reveal(), {
    // A command while disconnected fails at once (and the node limits alone) instead of queueing.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}
