import type { WatchThresholds } from '../../config/index.ts';
import type { AnyEvent, BulwarkEvents, EventName } from '../../platform/events.ts';
import type { SlidingWindows } from './windows.ts';
import { isWorkingHour } from './working-hours.ts';

export type Severity = 'low' | 'medium' | 'high' | 'critical';
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** What containment can do, and to what (DESIGN §6). Each is idempotent and recorded in the trail. */
export const CONTAINMENT_KINDS = [
  'network.challenge',
  'network.block',
  'session.revoke',
  'user.sessions_revoke',
  'user.step_up',
  'account.lock',
  'api_key.revoke',
] as const;
export type ContainmentKind = (typeof CONTAINMENT_KINDS)[number];
export type TargetType = 'network' | 'session' | 'user' | 'api_key';

export interface ContainmentOrder {
  readonly kind: ContainmentKind;
  readonly targetType: TargetType;
  readonly targetId: string;
  /** How long a network mark or block lasts; revocations and locks last until lifted. */
  readonly seconds?: number;
}

/** What a rule found: the group it belongs to (one open alert per group), its evidence, what to do. */
export interface Finding {
  readonly group: string;
  readonly summary: string;
  /** IDs, networks, counts and thresholds: never personal data. */
  readonly evidence: Readonly<Record<string, string | number | boolean>>;
  readonly principals: readonly string[];
  readonly networks: readonly string[];
  readonly contain: readonly ContainmentOrder[];
}

export interface RuleContext {
  readonly windows: SlidingWindows;
  readonly thresholds: WatchThresholds;
  readonly atMs: number;
  readonly windowMs: number;
}

type EventOf<E extends EventName> = BulwarkEvents[E] & { name: E; at: Date };

/** A detection rule as data: its name, severity, the events it reads, and how it evaluates one. */
export interface Rule<E extends EventName = EventName> {
  readonly id: string;
  readonly category:
    | 'credential_stuffing'
    | 'account_takeover'
    | 'enumeration'
    | 'exfiltration'
    | 'token_misuse'
    | 'scraping'
    | 'privileged'
    | 'infrastructure';
  readonly severity: Severity;
  readonly title: string;
  readonly events: readonly E[];
  evaluate(event: EventOf<E>, context: RuleContext): Finding | null;
}

const rule = <const E extends EventName>(definition: Rule<E>): Rule => definition as unknown as Rule;

/** The containment that stops a principal: an API key is revoked, a person's sessions are ended. */
function stopPrincipal(principalId: string): ContainmentOrder {
  return principalId.startsWith('key_')
    ? { kind: 'api_key.revoke', targetType: 'api_key', targetId: principalId }
    : { kind: 'user.sessions_revoke', targetType: 'user', targetId: principalId };
}

/** The containment that asks a principal to prove itself: a person steps up, a key (which cannot) is revoked. */
function challengePrincipal(principalId: string): ContainmentOrder {
  return principalId.startsWith('key_')
    ? stopPrincipal(principalId)
    : { kind: 'user.step_up', targetType: 'user', targetId: principalId };
}

// Changes an attacker who has just taken an account makes to keep it.
const TAKEOVER_CHANGES = new Set([
  'password_changed',
  'email_changed',
  'phone_changed',
  'totp_disabled',
  'recovery_codes_regenerated',
  'passkey_added',
]);

/** Every shipped rule. Thresholds come from configuration (BULWARK_WATCH_*), never from code. */
export const WATCH_RULES: readonly Rule[] = [
  rule({
    id: 'credential_stuffing.network',
    category: 'credential_stuffing',
    severity: 'high',
    title: 'Failed logins across many accounts from one network',
    events: ['identity.login_failed'],
    evaluate(e, c) {
      const accounts = c.windows.distinct(`stuffing:${e.network}`, e.account, c.atMs, c.windowMs);
      if (accounts < c.thresholds.stuffingAccounts) return null;
      return {
        group: e.network,
        summary: `${accounts} accounts failed to log in from ${e.network}`,
        evidence: { network: e.network, accounts, threshold: c.thresholds.stuffingAccounts },
        principals: [],
        networks: [e.network],
        contain: [
          {
            kind: 'network.challenge',
            targetType: 'network',
            targetId: e.network,
            seconds: c.thresholds.blockSeconds,
          },
        ],
      };
    },
  }),
  rule({
    id: 'credential_stuffing.global',
    category: 'credential_stuffing',
    severity: 'high',
    title: 'A spike of failed logins everywhere',
    events: ['identity.login_failed'],
    evaluate(e, c) {
      const failures = c.windows.count('failures:all', c.atMs, c.windowMs);
      if (failures < c.thresholds.globalFailures) return null;
      return {
        group: 'global',
        summary: `${failures} failed logins in ${c.windowMs / 1000} seconds`,
        evidence: { failures, threshold: c.thresholds.globalFailures, lastNetwork: e.network },
        principals: [],
        networks: [e.network],
        contain: [],
      };
    },
  }),
  rule({
    id: 'account_takeover.success_after_failures',
    category: 'account_takeover',
    severity: 'high',
    title: 'A login succeeded after many failures on the account',
    events: ['identity.login_failed', 'identity.login_succeeded'],
    evaluate(e, c) {
      if (e.name === 'identity.login_failed') {
        if (e.userId) c.windows.count(`failures:user:${e.userId}`, c.atMs, c.windowMs);
        return null;
      }
      const success = e as EventOf<'identity.login_succeeded'>;
      const failures = c.windows.peek(`failures:user:${success.userId}`, c.atMs, c.windowMs);
      if (failures < c.thresholds.takeoverFailures) return null;
      return {
        group: success.userId,
        summary: `Login to ${success.userId} from ${success.network} after ${failures} failures`,
        evidence: {
          userId: success.userId,
          network: success.network,
          failures,
          threshold: c.thresholds.takeoverFailures,
        },
        principals: [success.userId],
        networks: [success.network],
        contain: [
          { kind: 'account.lock', targetType: 'user', targetId: success.userId },
          {
            kind: 'network.challenge',
            targetType: 'network',
            targetId: success.network,
            seconds: c.thresholds.blockSeconds,
          },
        ],
      };
    },
  }),
  rule({
    id: 'account_takeover.new_device_change',
    category: 'account_takeover',
    severity: 'high',
    title: 'A login from a new device on a new network followed by a security change',
    events: ['identity.login_succeeded', 'identity.security_changed'],
    evaluate(e, c) {
      if (e.name === 'identity.login_succeeded') {
        const login = e as EventOf<'identity.login_succeeded'>;
        // A new phone at home is common; a new device on a network the account never used is the signal.
        if (login.newDevice && login.newNetwork)
          c.windows.count(`new-device:${login.userId}`, c.atMs, c.windowMs);
        return null;
      }
      const change = e as EventOf<'identity.security_changed'>;
      if (!TAKEOVER_CHANGES.has(change.change)) return null;
      if (c.windows.peek(`new-device:${change.userId}`, c.atMs, c.windowMs) === 0) return null;
      return {
        group: change.userId,
        summary: `${change.change} on ${change.userId} soon after a login from a new device and network`,
        evidence: { userId: change.userId, change: change.change },
        principals: [change.userId],
        networks: [],
        contain: [{ kind: 'account.lock', targetType: 'user', targetId: change.userId }],
      };
    },
  }),
  rule({
    id: 'enumeration.object_refusals',
    category: 'enumeration',
    severity: 'high',
    title: 'A principal refused many objects it does not own',
    events: ['http.object_refused'],
    evaluate(e, c) {
      const objects = c.windows.distinct(
        `enumeration:${e.principalId}`,
        `${e.route} ${e.objectId}`,
        c.atMs,
        c.windowMs,
      );
      if (objects < c.thresholds.enumerationObjects) return null;
      return {
        group: e.principalId,
        summary: `${e.principalId} was refused ${objects} objects (last on ${e.route})`,
        evidence: {
          principalId: e.principalId,
          kind: e.principalKind,
          objects,
          lastRoute: e.route,
          threshold: c.thresholds.enumerationObjects,
        },
        principals: [e.principalId],
        networks: [e.network],
        // A shopper walking others' orders is locked until a reset; staff and keys lose their sessions.
        contain: [
          e.principalKind === 'shopper'
            ? { kind: 'account.lock', targetType: 'user', targetId: e.principalId }
            : stopPrincipal(e.principalId),
        ],
      };
    },
  }),
  rule({
    id: 'exfiltration.budget_refused',
    category: 'exfiltration',
    severity: 'critical',
    title: 'Personal-data reveals refused at the budget',
    events: ['shield.pii_budget_exceeded'],
    evaluate(e, c) {
      const refusals = c.windows.count(`budget:${e.actorId}`, c.atMs, c.windowMs);
      if (refusals < c.thresholds.budgetRefusals) return null;
      return {
        group: e.actorId,
        summary: `${e.actorId} (${e.role}) reached its ${e.window}ly personal-data budget of ${e.limit}`,
        evidence: { actorId: e.actorId, role: e.role, window: e.window, limit: e.limit, refusals },
        principals: [e.actorId],
        networks: [],
        contain: [stopPrincipal(e.actorId)],
      };
    },
  }),
  rule({
    id: 'exfiltration.above_baseline',
    category: 'exfiltration',
    severity: 'high',
    title: 'Personal-data reveals far above the principal’s own baseline',
    events: ['vault.pii_revealed'],
    evaluate(e, c) {
      // People, not reveals: showing the same customer again is not more data leaving.
      const again = c.windows.seen(`revealed:${e.actorId}`, e.subjectId, c.atMs, c.windowMs);
      c.windows.distinct(`revealed:${e.actorId}`, e.subjectId, c.atMs, c.windowMs);
      if (again) return null;
      const { current, average } = c.windows.baseline(`reveals:${e.actorId}`, c.atMs, c.windowMs);
      const limit = Math.max(c.thresholds.revealFloor, c.thresholds.revealFactor * average);
      if (current <= limit) return null;
      return {
        group: e.actorId,
        summary: `${e.actorId} (${e.actorRole}) revealed ${current} people, baseline ${average.toFixed(1)}`,
        evidence: { actorId: e.actorId, role: e.actorRole, people: current, baseline: average, limit },
        principals: [e.actorId],
        networks: [],
        contain: [challengePrincipal(e.actorId)],
      };
    },
  }),
  rule({
    id: 'token_misuse.refresh_reuse',
    category: 'token_misuse',
    severity: 'high',
    title: 'A refresh token was used twice',
    events: ['identity.refresh_reused'],
    evaluate(e) {
      return {
        group: e.sessionId,
        summary: `A refresh token of session ${e.sessionId} (${e.userId}) was presented again`,
        evidence: { sessionId: e.sessionId, userId: e.userId },
        principals: [e.userId],
        networks: [],
        contain: [{ kind: 'session.revoke', targetType: 'session', targetId: e.sessionId }],
      };
    },
  }),
  rule({
    id: 'token_misuse.session_networks',
    category: 'token_misuse',
    severity: 'high',
    title: 'One session used from several networks at once',
    events: ['http.session_used'],
    evaluate(e, c) {
      const networks = c.windows.distinct(`session:${e.sessionId}`, e.network, c.atMs, c.windowMs);
      if (networks < c.thresholds.sessionNetworks) return null;
      return {
        group: e.sessionId,
        summary: `Session ${e.sessionId} of ${e.userId} used from ${networks} networks`,
        evidence: { sessionId: e.sessionId, userId: e.userId, networks, lastNetwork: e.network },
        principals: [e.userId],
        networks: [e.network],
        contain: [{ kind: 'session.revoke', targetType: 'session', targetId: e.sessionId }],
      };
    },
  }),
  rule({
    id: 'scraping.listing_refusals',
    category: 'scraping',
    severity: 'medium',
    title: 'Paged listings refused at the listing budget, again and again',
    events: ['http.rate_limited'],
    evaluate(e, c) {
      if (!e.layers.includes('listing')) return null;
      const caller = e.principalId ?? e.network;
      const refusals = c.windows.count(`scraping:${caller}`, c.atMs, c.windowMs);
      if (refusals < c.thresholds.scrapingRefusals) return null;
      return {
        group: caller,
        summary: `${caller} kept paging after its listing budget was spent (${refusals} refusals)`,
        evidence: { caller, refusals, lastRoute: e.route, threshold: c.thresholds.scrapingRefusals },
        principals: e.principalId ? [e.principalId] : [],
        networks: [e.network],
        contain: e.principalId
          ? [stopPrincipal(e.principalId)]
          : [
              {
                kind: 'network.block',
                targetType: 'network',
                targetId: e.network,
                seconds: c.thresholds.blockSeconds,
              },
            ],
      };
    },
  }),
  rule({
    id: 'privileged.staff_new_device',
    category: 'privileged',
    severity: 'medium',
    title: 'A staff member logged in from a new device',
    events: ['identity.login_succeeded'],
    evaluate(e) {
      if (!e.staff || !e.newDevice) return null;
      return {
        group: `${e.userId} ${e.network}`,
        summary: `Staff member ${e.userId} logged in from a new device on ${e.network}`,
        evidence: { userId: e.userId, network: e.network },
        principals: [e.userId],
        networks: [e.network],
        contain: [{ kind: 'user.step_up', targetType: 'user', targetId: e.userId }],
      };
    },
  }),
  rule({
    id: 'privileged.self_approval',
    category: 'privileged',
    severity: 'medium',
    title: 'A staff member tried to approve their own bulk export',
    events: ['shield.pii_export_self_approval_refused'],
    evaluate(e) {
      return {
        group: e.actorId,
        summary: `${e.actorId} tried to approve their own export ${e.exportId}`,
        evidence: { actorId: e.actorId, exportId: e.exportId },
        principals: [e.actorId],
        networks: [],
        contain: [],
      };
    },
  }),
  rule({
    id: 'privileged.off_hours_reveals',
    category: 'privileged',
    severity: 'high',
    title: 'Bulk personal-data reveals outside working hours',
    events: ['vault.pii_revealed'],
    evaluate(e, c) {
      if (isWorkingHour(c.atMs, c.thresholds)) return null;
      const people = c.windows.distinct(`off-hours:${e.actorId}`, e.subjectId, c.atMs, c.windowMs);
      if (people < c.thresholds.offHoursReveals) return null;
      const { workHoursStart: start, workHoursEnd: end, timeZone } = c.thresholds;
      return {
        group: e.actorId,
        summary: `${e.actorId} (${e.actorRole}) revealed ${people} people outside working hours (${start}–${end} ${timeZone})`,
        evidence: { actorId: e.actorId, role: e.actorRole, people, threshold: c.thresholds.offHoursReveals },
        principals: [e.actorId],
        networks: [],
        // Someone really working late proves it with a step-up; a stolen session cannot.
        contain: [challengePrincipal(e.actorId)],
      };
    },
  }),
  rule({
    id: 'privileged.role_changed',
    category: 'privileged',
    severity: 'medium',
    title: 'A staff member’s role was changed',
    events: ['identity.role_changed'],
    evaluate(e) {
      return {
        group: `${e.userId} ${e.to}`,
        summary: `${e.actorId} changed the role of ${e.userId} from ${e.from} to ${e.to}`,
        evidence: { actorId: e.actorId, userId: e.userId, from: e.from, to: e.to },
        principals: [e.actorId, e.userId],
        networks: [],
        // The member's sessions already ended with the change; the alert asks a second person to look.
        contain: [],
      };
    },
  }),
  rule({
    id: 'infrastructure.limiter_degraded',
    category: 'infrastructure',
    severity: 'high',
    title: 'Shared rate limits unreachable: each node limits on its own',
    events: ['shield.limiter_degraded'],
    evaluate(e) {
      return {
        group: e.store,
        summary: `The ${e.store} rate-limit store is unreachable; limits fell back to each node`,
        evidence: { store: e.store, reason: e.reason.slice(0, 200) },
        principals: [],
        networks: [],
        contain: [],
      };
    },
  }),
  rule({
    id: 'infrastructure.decryption_failed',
    category: 'infrastructure',
    severity: 'high',
    title: 'Stored personal data failed to decrypt',
    events: ['vault.decryption_failed'],
    evaluate(e) {
      return {
        group: `${e.table}.${e.column}`,
        summary: `Decryption failed on ${e.table}.${e.column} (row ${e.rowId})`,
        evidence: { table: e.table, column: e.column, rowId: e.rowId, reason: e.reason.slice(0, 200) },
        principals: [],
        networks: [],
        contain: [],
      };
    },
  }),
  rule({
    id: 'infrastructure.trail_verification_failed',
    category: 'infrastructure',
    severity: 'critical',
    title: 'The audit trail did not verify',
    events: ['trail.verification_failed'],
    evaluate(e) {
      return {
        group: 'trail',
        summary: `The trail failed verification at entry ${e.firstBadSeq ?? 'unknown'}`,
        evidence: { firstBadSeq: e.firstBadSeq ?? -1 },
        principals: [],
        networks: [],
        contain: [],
      };
    },
  }),
];

/** The rules that read each event, so evaluating one event touches only its rules. */
export function rulesByEvent(rules: readonly Rule[]): Map<EventName, Rule[]> {
  const index = new Map<EventName, Rule[]>();
  for (const r of rules) {
    for (const name of r.events) index.set(name, [...(index.get(name) ?? []), r]);
  }
  return index;
}

export type { AnyEvent };
