import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { loadConfig, Secret } from '../src/config/index.ts';
import { type Buckets, createBuckets, installRateLimits } from '../src/modules/shield/index.ts';
import { EventBus } from '../src/platform/events.ts';
import { measure, type Plan } from './measure.ts';
import { compared, type Result } from './report.ts';

export interface ShieldPlans {
  readonly decisions: Plan;
  readonly redis: Plan;
  readonly requests: Plan;
}

export const SHIELD_PLANS: Record<'quick' | 'full', ShieldPlans> = {
  quick: {
    decisions: { warmupBatches: 3, batches: 9, batchSize: 5_000 },
    redis: { warmupBatches: 2, batches: 7, batchSize: 500 },
    requests: { warmupBatches: 3, batches: 9, batchSize: 500 },
  },
  full: {
    decisions: { warmupBatches: 5, batches: 21, batchSize: 20_000 },
    redis: { warmupBatches: 3, batches: 15, batchSize: 2_000 },
    requests: { warmupBatches: 5, batches: 21, batchSize: 2_000 },
  },
};

/** Requests in flight against Redis, as a busy node would have. */
export const REDIS_CONCURRENCY = 32;
// Distinct clients the decisions rotate through, so no single bucket is all that is measured.
const KEYS = 1_000;
// NODE_ENV=test budgets (1000 times production's): nothing is refused, every decision is a full one.
const LIMITS = loadConfig({ NODE_ENV: 'test' }).rateLimits;
const silent = { error() {}, warn() {} };

let sink = 0;
const perSecond = (nsPerOp: number) => 1e9 / nsPerOp;
const micros = (ns: number) => ns / 1_000;

/**
 * The shield's rate limits: decisions per second in memory (against a bare Map counter) and in Redis
 * (against a PING round trip, both with REDIS_CONCURRENCY in flight), and the latency the limiter hooks add
 * to a trivial route (the same Fastify app without them is the baseline).
 */
export async function shieldBenchmarks(plans: ShieldPlans): Promise<{ results: Result[]; redis: string }> {
  const results: Result[] = [];
  const memory = createBuckets({ limits: LIMITS, redisUrl: null, events: new EventBus(), log: silent });
  results.push(...(await memoryDecisions(memory, plans.decisions)));
  results.push(...(await requestLatency('shield.request-with-limits', memory, plans.requests)));

  const url = await reachableRedis();
  let redisNote = url ? 'Redis on this machine' : 'no Redis reachable: Redis figures skipped';
  if (url) {
    const events = new EventBus();
    let fellBack = false;
    events.on('shield.limiter_degraded', () => {
      fellBack = true;
    });
    const redis = createBuckets({
      limits: LIMITS,
      redisUrl: new Secret(url),
      events,
      log: silent,
      keyPrefix: `bulwark-bench:${process.pid}`,
    });
    await redis.connected(2_000);
    try {
      results.push(...(await redisDecisions(redis, url, plans.redis)));
      results.push(...(await requestLatency('shield.request-with-limits-redis', redis, plans.requests)));
      // A command past the 1 s timeout (a loaded machine) sends decisions to memory for a while.
      if (fellBack) redisNote = 'Redis timed out during the run, so some decisions were made in memory';
    } finally {
      await redis.close();
    }
  }
  await memory.close();
  if (sink === 0) throw new Error('benchmarks produced nothing');
  return { results, redis: redisNote };
}

async function memoryDecisions(buckets: Buckets, plan: Plan): Promise<Result[]> {
  let turn = 0;
  const counters = new Map<string, number>();
  const timings = await measure(
    {
      limiter: async (n) => {
        for (let i = 0; i < n; i++) {
          const decision = await buckets.consume('ip', `198.51.100.${turn++ % KEYS}`, 1);
          sink += decision.remaining;
        }
      },
      // The least a per-key counter can cost: one Map read and write, awaited like a decision is.
      map: async (n) => {
        for (let i = 0; i < n; i++) {
          const key = `198.51.100.${turn++ % KEYS}`;
          const count = (counters.get(key) ?? 0) + 1;
          counters.set(key, count);
          sink += await Promise.resolve(count);
        }
      },
    },
    plan,
  );
  return compared(
    'shield.decisions-memory',
    'decisions/s',
    perSecond(timings.limiter),
    'map-counter',
    perSecond(timings.map),
  );
}

async function redisDecisions(buckets: Buckets, url: string, plan: Plan): Promise<Result[]> {
  const client = new Redis(url, { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
  let turn = 0;
  try {
    const timings = await measure(
      {
        limiter: (n) =>
          inParallel(n, async () => {
            const decision = await buckets.consume('ip', `203.0.113.${turn++ % KEYS}`, 1);
            if (!decision.allowed) throw new Error('a decision was refused');
            sink += decision.remaining;
          }),
        ping: (n) =>
          inParallel(n, async () => {
            sink += (await client.ping()).length;
          }),
      },
      plan,
    );
    return compared(
      'shield.decisions-redis',
      'decisions/s',
      perSecond(timings.limiter),
      'redis-ping',
      perSecond(timings.ping),
    );
  } finally {
    client.disconnect();
  }
}

/** Microseconds per request to a trivial route, with the limiter hooks and without, through inject(). */
async function requestLatency(name: string, buckets: Buckets, plan: Plan): Promise<Result[]> {
  const trivial = (app: FastifyInstance) => {
    app.get('/ping', async () => ({ ok: true }));
    return app;
  };
  const bare = trivial(Fastify({ logger: false }));
  const limited = Fastify({ logger: false });
  const config = loadConfig({ NODE_ENV: 'test' });
  const installation = installRateLimits(limited, {
    config,
    events: new EventBus(),
    emailIndex: (email) => email,
    buckets,
  });
  installation.installAfterAuthentication();
  trivial(limited);
  await bare.ready();
  await limited.ready();
  let turn = 0;
  const run = (app: FastifyInstance) => async (n: number) => {
    for (let i = 0; i < n; i++) {
      const response = await app.inject({
        method: 'GET',
        url: '/ping',
        remoteAddress: `192.0.2.${turn++ % 250}`,
      });
      if (response.statusCode !== 200) throw new Error(`refused: ${response.statusCode}`);
      sink += response.body.length;
    }
  };
  try {
    const timings = await measure({ limited: run(limited), bare: run(bare) }, plan);
    return compared(name, 'µs/request', micros(timings.limited), 'no-limiter', micros(timings.bare));
  } finally {
    await bare.close();
    await limited.close();
  }
}

/** REDIS_URL, or a Redis on this machine's default port; null when neither answers within a second. */
async function reachableRedis(): Promise<string | null> {
  const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return url;
  } catch {
    return null;
  } finally {
    client.disconnect();
  }
}

async function inParallel(n: number, operation: () => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      await operation();
    }
  };
  await Promise.all(Array.from({ length: Math.min(REDIS_CONCURRENCY, n) }, worker));
}
