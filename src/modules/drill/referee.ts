import type { DrillClient } from './drill-client.ts';

/**
 * The referee: a security staff member's view of the instance, used only to score what the platform did
 * (alerts, incidents, scope, notices). It never helps the attack.
 */
export interface Referee {
  /** The first alert about `principal` (or from its network), polled until `timeoutMs`; its time seen. */
  alertAbout(principal: string, sinceMs: number, timeoutMs?: number): Promise<number | null>;
  /** The first alert about a network (a /24 such as `203.0.113.0/24`). */
  alertAboutNetwork(network: string, sinceMs: number, timeoutMs?: number): Promise<number | null>;
  /** The open incident naming `principal`, polled until `timeoutMs`. */
  incidentAbout(principal: string, timeoutMs?: number): Promise<string | null>;
  /** The subject IDs in the incident's stored scope. */
  scopeOf(incidentId: string): Promise<string[]>;
  /** Drafts the incident's notices and answers whom they go to. */
  draftNotices(incidentId: string): Promise<string[]>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function poll<T>(timeoutMs: number, attempt: () => Promise<T | null>): Promise<T | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await attempt();
    if (found !== null || Date.now() > deadline) return found;
    await sleep(200);
  }
}

interface AlertSeen {
  readonly principals: string[];
  readonly networks: string[];
  readonly firstSeenAt: string;
}

export function createReferee(client: DrillClient): Referee {
  /** How long after `sinceMs` the first alert matching `about` was seen, polled until `timeoutMs`. */
  const firstAlert = (about: (alert: AlertSeen) => boolean, sinceMs: number, timeoutMs: number) =>
    poll(timeoutMs, async () => {
      const answer = await client.get('/v1/security/alerts?limit=100');
      if (answer.status !== 200) return null;
      const found = (answer.body as { items: AlertSeen[] }).items.find(about);
      return found ? Math.max(0, new Date(found.firstSeenAt).getTime() - sinceMs) : null;
    });

  return {
    alertAbout: (principal, sinceMs, timeoutMs = 5_000) =>
      firstAlert((alert) => alert.principals.includes(principal), sinceMs, timeoutMs),

    alertAboutNetwork: (network, sinceMs, timeoutMs = 5_000) =>
      firstAlert((alert) => alert.networks.includes(network), sinceMs, timeoutMs),

    incidentAbout: (principal, timeoutMs = 5_000) =>
      poll(timeoutMs, async () => {
        const answer = await client.get('/v1/security/incidents?limit=50');
        if (answer.status !== 200) return null;
        const items = (answer.body as { items: { id: string; principals: string[] }[] }).items;
        return items.find((i) => i.principals.includes(principal))?.id ?? null;
      }),

    async scopeOf(incidentId) {
      const answer = await client.get(`/v1/security/incidents/${incidentId}/subjects`);
      if (answer.status !== 200) return [];
      return (answer.body as { items: { subjectId: string }[] }).items.map((s) => s.subjectId);
    },

    async draftNotices(incidentId) {
      const drafted = await client.post(`/v1/security/incidents/${incidentId}/notices/draft`);
      if (drafted.status !== 200) return [];
      const answer = await client.get(
        `/v1/security/incidents/${incidentId}/notices?audience=person&limit=500`,
      );
      if (answer.status !== 200) return [];
      return (answer.body as { items: { recipient: string; status: string }[] }).items
        .filter((n) => n.status !== 'withdrawn')
        .map((n) => n.recipient);
    },
  };
}

/** Precision and recall of what the platform says was taken against what the drill really took. */
export function precisionRecall(claimed: readonly string[], truth: readonly string[]) {
  const truthSet = new Set(truth);
  const hits = claimed.filter((id) => truthSet.has(id)).length;
  return {
    precision: claimed.length === 0 ? (truth.length === 0 ? 1 : 0) : hits / claimed.length,
    recall: truth.length === 0 ? 1 : hits / truth.length,
  };
}
