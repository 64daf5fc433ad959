import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/index.ts';
import { createContainer } from '../src/container.ts';
import { ephemeralRootKey } from '../src/modules/vault/index.ts';
import { createEngine, WATCH_RULES } from '../src/modules/watch/index.ts';
import type { AnyEvent } from '../src/platform/events.ts';
import { newId } from '../src/platform/ids.ts';
import { measure, median, type Plan } from './measure.ts';
import { compared, type Result, round } from './report.ts';

export interface WatchPlans {
  readonly engine: Plan;
  /** Detections timed end to end (event emitted → alert stored and containment applied). */
  readonly detections: number;
}

export const WATCH_PLANS: Record<'quick' | 'full', WatchPlans> = {
  quick: { engine: { warmupBatches: 3, batches: 9, batchSize: 20_000 }, detections: 30 },
  full: { engine: { warmupBatches: 5, batches: 21, batchSize: 100_000 }, detections: 200 },
};

const STREAM = 50_000;
let sink = 0;

/** A busy site's mix: logins (some failing), sessions used, object refusals, reveals. */
function eventMix(count: number): AnyEvent[] {
  const events: AnyEvent[] = [];
  const start = Date.now();
  for (let i = 0; i < count; i += 1) {
    const at = new Date(start + i * 10);
    const network = `100.${64 + (i % 60)}.${i % 250}.0/24`;
    const userId = `usr_${String(i % 5_000).padStart(26, '0')}`;
    switch (i % 10) {
      case 0:
        events.push({ name: 'identity.login_failed', at, network, account: `idx-${i % 5_000}`, userId });
        break;
      case 1:
        events.push({
          name: 'identity.login_succeeded',
          at,
          userId,
          staff: false,
          network,
          newDevice: i % 97 === 0,
          newNetwork: false,
        });
        break;
      case 2:
        events.push({
          name: 'vault.pii_revealed',
          at,
          actorId: `usr_support${i % 20}`,
          actorRole: 'support',
          subjectId: userId,
          fields: ['phone'],
          purpose: 'bench',
        });
        break;
      case 3:
        events.push({
          name: 'http.object_refused',
          at,
          principalId: userId,
          principalKind: 'shopper',
          sessionId: `ses_${i % 5_000}`,
          network,
          route: '/v1/orders/:id',
          objectId: `ord_${i}`,
          status: 404,
        });
        break;
      default:
        events.push({ name: 'http.session_used', at, sessionId: `ses_${i % 5_000}`, userId, network });
    }
  }
  return events;
}

/** Events per second the rules evaluate (in memory, every shipped rule); baseline: a bare Map count per event. */
async function engineThroughput(plan: Plan): Promise<Result[]> {
  const thresholds = loadConfig({ NODE_ENV: 'test' }).watch;
  const engine = createEngine({ rules: WATCH_RULES, thresholds });
  const events = eventMix(STREAM);
  const counts = new Map<string, number>();
  let turn = 0;
  const timings = await measure(
    {
      engine: (n) => {
        for (let i = 0; i < n; i += 1) sink += engine.ingest(events[turn++ % STREAM] as AnyEvent).length;
      },
      map: (n) => {
        for (let i = 0; i < n; i += 1) {
          const event = events[turn++ % STREAM] as AnyEvent;
          const key = `${event.name}:${'network' in event ? event.network : ''}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        sink += counts.size;
      },
    },
    plan,
  );
  return compared('watch.rule-engine', 'events/s', 1e9 / timings.engine, 'map-count', 1e9 / timings.map);
}

/**
 * Detection latency through the real container: from the event that completes a credential-stuffing
 * pattern being emitted on the bus to the alert stored and the network marked (containment and trail
 * entry included), in-memory PGlite, local transport.
 */
async function detectionLatency(detections: number): Promise<Result[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-bench-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    BULWARK_DATA_DIR: dataDir,
    BULWARK_WATCH_STUFFING_ACCOUNTS: '5',
    BULWARK_WATCH_GLOBAL_FAILURES: '10000000',
  });
  const container = await createContainer(config, { inMemory: true, rootKey: ephemeralRootKey() });
  try {
    await container.migrate();
    const samples: number[] = [];
    for (let d = 0; d < detections; d += 1) {
      const network = `198.${18 + (d >> 8)}.${d & 255}.0/24`;
      for (let a = 0; a < 4; a += 1) {
        container.events.emit('identity.login_failed', { network, account: newId('user'), userId: null });
      }
      const raised = new Promise<number>((resolve) => {
        const off = container.events.on('watch.alert_raised', () => {
          off();
          resolve(Number(process.hrtime.bigint()));
        });
      });
      const started = Number(process.hrtime.bigint());
      container.events.emit('identity.login_failed', { network, account: newId('user'), userId: null });
      samples.push(((await raised) - started) / 1e6);
      await container.watch.settled();
    }
    sink += samples.length;
    const sorted = [...samples].sort((x, y) => x - y);
    return [
      { name: 'watch.detection-latency-median', value: round(median(samples)), unit: 'ms' },
      {
        name: 'watch.detection-latency-p95',
        value: round(sorted[Math.floor(sorted.length * 0.95)] ?? Number.NaN),
        unit: 'ms',
      },
    ];
  } finally {
    await container.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function watchBenchmarks(plans: WatchPlans): Promise<Result[]> {
  const results = [...(await engineThroughput(plans.engine)), ...(await detectionLatency(plans.detections))];
  if (sink === 0) throw new Error('benchmarks produced nothing');
  return results;
}

export const WATCH_NOTE =
  'watch.rule-engine is events/s through every shipped rule (sliding windows, distinct counts, baselines) over a mix of logins, failures, sessions used, refusals and reveals from 5,000 principals; its baseline one Map count per event. watch.detection-latency is from emitting the event that completes a credential-stuffing pattern to the alert stored, the network marked and the trail entry written (in-memory PGlite, one node).';
