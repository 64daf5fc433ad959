import { Redis } from 'ioredis';
import type { AnyEvent, EventBus, EventName } from '../../platform/events.ts';

/** How events reach the rules: straight from this node's bus, or through a stream every node reads. */
export interface Transport {
  /** True when nodes share evidence (Redis). */
  readonly shared: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Claims the right to raise `key` for `ttlMs` across nodes: with Redis only the first node to see a
   * detection raises it (the others evaluated the same stream and found the same thing); alone, always.
   */
  claim(key: string, ttlMs: number): Promise<boolean>;
}

export const STREAM_KEY = 'bulwark:watch:events';
// About a day of a busy site's security events; older ones only matter to the trail, which keeps them.
const STREAM_MAX_LENGTH = 200_000;
const READ_BLOCK_MS = 500;
const READ_COUNT = 500;

/** In process: every watched event goes to the rules on a later turn of the event loop. */
export function localTransport(
  bus: EventBus,
  watched: ReadonlySet<EventName>,
  ingest: (event: AnyEvent) => void,
): Transport {
  let off: (() => void) | null = null;
  return {
    shared: false,
    async start() {
      // Later, never inside the emitter: detection must not slow or break the request that emitted.
      off = bus.onEvery((event) => {
        if (watched.has(event.name)) setImmediate(() => ingest(event));
      });
    },
    async stop() {
      off?.();
      off = null;
    },
    async claim() {
      return true;
    },
  };
}

/**
 * Through a Redis stream: each node appends the events it emits, and every node reads the whole stream,
 * so an attack split across nodes adds up in each node's windows as if it had hit one. Events carry IDs
 * and networks only, so the stream holds no personal data. If Redis is unreachable, the node keeps
 * evaluating its own events (never nothing) until the stream is back.
 */
export function redisTransport(
  url: string,
  bus: EventBus,
  watched: ReadonlySet<EventName>,
  ingest: (event: AnyEvent) => void,
  log: (message: string) => void = () => {},
): Transport {
  const options = { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false } as const;
  const writer = new Redis(url, options);
  const reader = new Redis(url, options);
  writer.on('error', () => {});
  reader.on('error', () => {});
  let off: (() => void) | null = null;
  let running = false;
  let loop: Promise<void> | null = null;
  let lastId = '$';

  const publish = (event: AnyEvent) => {
    writer
      .xadd(STREAM_KEY, 'MAXLEN', '~', String(STREAM_MAX_LENGTH), '*', 'e', JSON.stringify(event))
      .catch((error: unknown) => {
        // The stream is down: this node's own evidence still counts here.
        log(`watch stream unreachable, evaluating locally: ${String(error)}`);
        setImmediate(() => ingest(event));
      });
  };

  async function read(): Promise<void> {
    while (running) {
      try {
        const answer = (await reader.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          READ_BLOCK_MS,
          'STREAMS',
          STREAM_KEY,
          lastId,
        )) as [string, [string, string[]][]][] | null;
        for (const [, entries] of answer ?? []) {
          for (const [id, fields] of entries) {
            lastId = id;
            const event = revive(fields[1]);
            if (event) ingest(event);
          }
        }
      } catch {
        if (!running) return;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  return {
    shared: true,
    async start() {
      await Promise.all([writer.connect(), reader.connect()]).catch(() => {});
      // Start from the stream's end as it is now, so events published from here on are all read.
      try {
        const last = (await writer.xrevrange(STREAM_KEY, '+', '-', 'COUNT', 1)) as [string, string[]][];
        lastId = last[0]?.[0] ?? '0-0';
      } catch {
        lastId = '$';
      }
      running = true;
      loop = read();
      off = bus.onEvery((event) => {
        if (watched.has(event.name)) publish(event);
      });
    },
    async stop() {
      off?.();
      running = false;
      reader.disconnect();
      await loop;
      await writer.quit().catch(() => writer.disconnect());
    },
    async claim(key, ttlMs) {
      try {
        const won = await writer.set(`bulwark:watch:claim:${key}`, '1', 'PX', ttlMs, 'NX');
        return won === 'OK';
      } catch {
        return true;
      }
    },
  };
}

function revive(text: string | undefined): AnyEvent | null {
  if (!text) return null;
  try {
    const parsed = JSON.parse(text) as AnyEvent & { at: string };
    const at = new Date(parsed.at);
    if (typeof parsed.name !== 'string' || Number.isNaN(at.getTime())) return null;
    return { ...parsed, at } as AnyEvent;
  } catch {
    return null;
  }
}
