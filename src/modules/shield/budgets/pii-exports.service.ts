import type { Config } from '../../../config/index.ts';
import type { Clock } from '../../../platform/clock.ts';
import type { AnyDb } from '../../../platform/db/index.ts';
import { AppError, type FieldProblem } from '../../../platform/errors.ts';
import type { EventBus } from '../../../platform/events.ts';
import { newId } from '../../../platform/ids.ts';
import type { StaffPrincipal } from '../../identity/index.ts';
import type { RevealGrant } from '../../vault/index.ts';
import { ShieldErrors } from '../shield.errors.ts';
import type { BudgetDb, PiiExportRow } from './budgets.tables.ts';
import type { PiiBudgetGuard } from './pii-budget.service.ts';
import {
  approveExport,
  claimDownload,
  findExport,
  insertExport,
  listOpenExports,
} from './pii-exports.repository.ts';

/** What an export may hold of each person: the same fields a single reveal may show. */
export const EXPORT_FIELDS = ['fullName', 'email', 'phone', 'addresses'] as const;
export type ExportField = (typeof EXPORT_FIELDS)[number];

// A request nobody approved within a day is dead; an approved one is downloaded soon or never.
export const EXPORT_REQUEST_TTL_MS = 24 * 3_600_000;
export const EXPORT_DOWNLOAD_WINDOW_MS = 30 * 60_000;
const LIST_LIMIT = 100;
// Subjects that went away between request and download: left out and named, never a failed export.
const UNAVAILABLE_CODES = new Set(['VAULT_DATA_ERASED', 'COMMERCE_NOT_FOUND']);

/** One person's entry in an export: the fields asked for, as a single reveal shows them. */
export interface ExportedPerson {
  readonly id: string;
  readonly fullName?: string;
  readonly email?: string;
  readonly phone?: string | null;
  readonly addresses?: {
    readonly id: string;
    readonly country: string;
    readonly recipientName: string;
    readonly phone: string;
    readonly line1: string;
    readonly line2: string | null;
    readonly city: string;
    readonly region: string | null;
    readonly postalCode: string;
  }[];
}

/**
 * Where subjects come from (commerce and identity, wired by the container): shield cannot name their
 * tables, and must not; the reveal itself still goes through the vault, so it is permissioned and evented.
 */
export interface ExportSubjects {
  /** IDs of live shoppers: those among `ids`, or those in `country`; at most `limit`. */
  find(query: { ids?: readonly string[]; country?: string }, limit: number): Promise<string[]>;
  /** The chosen fields of one shopper, revealed through the vault as `principal`, carrying `grant`. */
  reveal(
    principal: StaffPrincipal,
    subjectId: string,
    fields: readonly ExportField[],
    purpose: string,
    grant: RevealGrant,
  ): Promise<ExportedPerson>;
}

export interface PiiExportsDeps {
  readonly db: AnyDb;
  readonly clock: Clock;
  readonly config: Config;
  readonly events: EventBus;
  readonly budget: PiiBudgetGuard;
  readonly subjects: ExportSubjects;
}

export interface ExportRequest {
  readonly reason: string;
  readonly fields?: readonly ExportField[];
  readonly subjectIds?: readonly string[];
  readonly filter?: { readonly country: string };
}

/**
 * Bulk exports of personal data under the two-person rule (DESIGN §5): one staff member asks, with a
 * reason, for a fixed list of people (at most `piiExportMaxSubjects`); a different one approves; the
 * requester downloads once, soon after. The approval stands in for the per-hour budget for exactly those
 * people, and only during that download.
 */
export function createPiiExports(deps: PiiExportsDeps) {
  const db = deps.db as unknown as BudgetDb;
  const cap = deps.config.piiExportMaxSubjects;
  const notFound = () => ShieldErrors.SHIELD_EXPORT_NOT_FOUND('No such export.');

  function statusOf(row: PiiExportRow, now: Date) {
    if (row.status === 'requested' && row.expiresAt <= now) return 'expired' as const;
    if (row.status === 'approved' && row.downloadBy !== null && row.downloadBy <= now)
      return 'expired' as const;
    return row.status;
  }

  function view(row: PiiExportRow, now: Date) {
    return {
      id: row.id,
      status: statusOf(row, now),
      reason: row.reason,
      fields: row.fields as ExportField[],
      filter: row.filterCountry === null ? null : { country: row.filterCountry },
      subjectCount: row.subjectCount,
      subjectIds: row.subjectIds,
      requestedBy: row.requestedBy,
      createdAt: row.createdAt,
      expiresAt: row.expiresAt,
      approvedBy: row.approvedBy,
      approvedAt: row.approvedAt,
      downloadBy: row.downloadBy,
      downloadedAt: row.downloadedAt,
    };
  }

  async function subjectsFor(body: ExportRequest): Promise<string[]> {
    const ids = body.subjectIds;
    if ((ids === undefined) === (body.filter === undefined)) {
      throw ShieldErrors.SHIELD_EXPORT_INVALID('Name the people either by subjectIds or by a filter.', {
        errors: [{ field: 'body', message: 'must have exactly one of subjectIds and filter' }],
      });
    }
    if (ids !== undefined) {
      if (ids.length > cap) throw tooLarge(`${ids.length} people were named`);
      const found = new Set(await deps.subjects.find({ ids }, cap));
      const unknown: FieldProblem[] = [];
      ids.forEach((id, index) => {
        if (!found.has(id))
          unknown.push({ field: `body.subjectIds[${index}]`, message: 'is not a customer' });
      });
      if (unknown.length > 0) {
        throw ShieldErrors.SHIELD_EXPORT_INVALID(
          `${unknown.length} of the IDs are not customers of this platform.`,
          { errors: unknown.slice(0, 20) },
        );
      }
      return [...ids];
    }
    const country = (body.filter as { country: string }).country;
    const matched = await deps.subjects.find({ country }, cap + 1);
    if (matched.length > cap) throw tooLarge(`the filter matches more than ${cap} people`);
    if (matched.length === 0) {
      throw ShieldErrors.SHIELD_EXPORT_INVALID('The filter matches nobody.', {
        errors: [{ field: 'body.filter.country', message: 'matches no customer' }],
      });
    }
    return matched;
  }

  function tooLarge(what: string) {
    return ShieldErrors.SHIELD_EXPORT_TOO_LARGE(
      `An export may hold at most ${cap} people, and ${what}. Narrow it, or split it into several requests.`,
      { extensions: { maxSubjects: cap } },
    );
  }

  async function rowFor(id: string): Promise<PiiExportRow> {
    const row = await findExport(db, id);
    if (!row) throw notFound();
    return row;
  }

  /** Why a row cannot be approved or downloaded now, as the problem to answer. */
  function unavailable(row: PiiExportRow, now: Date, action: 'approve' | 'download'): AppError {
    const status = statusOf(row, now);
    const extensions = { currentStatus: status };
    if (status === 'expired') {
      return ShieldErrors.SHIELD_EXPORT_GONE(
        row.status === 'requested'
          ? 'This request expired before a second person approved it; ask again.'
          : 'The download window of this export has passed; ask again.',
        { extensions },
      );
    }
    if (status === 'downloaded') {
      return ShieldErrors.SHIELD_EXPORT_GONE(
        'This export was already downloaded; it can be downloaded once.',
        {
          extensions,
        },
      );
    }
    return ShieldErrors.SHIELD_EXPORT_STATE_CONFLICT(
      action === 'approve'
        ? 'This export is already approved.'
        : 'This export waits for a second person to approve it.',
      { extensions },
    );
  }

  return {
    async request(principal: StaffPrincipal, body: ExportRequest) {
      const subjectIds = await subjectsFor(body);
      const now = deps.clock.now();
      const id = newId('piiExport');
      const fields = body.fields ?? EXPORT_FIELDS;
      await insertExport(db, {
        id,
        requestedBy: principal.userId,
        reason: body.reason,
        fields: JSON.stringify(fields),
        filterCountry: body.filter?.country ?? null,
        subjectIds: JSON.stringify(subjectIds),
        subjectCount: subjectIds.length,
        status: 'requested',
        createdAt: now,
        expiresAt: new Date(now.getTime() + EXPORT_REQUEST_TTL_MS),
      });
      deps.events.emit('shield.pii_export_requested', {
        exportId: id,
        requesterId: principal.userId,
        subjects: subjectIds.length,
      });
      return view(await rowFor(id), now);
    },

    async list() {
      const now = deps.clock.now();
      return (await listOpenExports(db, now, LIST_LIMIT)).map((row) => view(row, now));
    },

    async get(id: string) {
      return view(await rowFor(id), deps.clock.now());
    },

    async approve(principal: StaffPrincipal, id: string) {
      const row = await rowFor(id);
      if (row.requestedBy === principal.userId) {
        deps.events.emit('shield.pii_export_self_approval_refused', {
          exportId: id,
          actorId: principal.userId,
        });
        throw ShieldErrors.SHIELD_EXPORT_SELF_APPROVAL(
          'You asked for this export: a different staff member must approve it (two-person rule).',
        );
      }
      const now = deps.clock.now();
      const approved = await approveExport(
        db,
        id,
        principal.userId,
        now,
        new Date(now.getTime() + EXPORT_DOWNLOAD_WINDOW_MS),
      );
      // Expired, already approved, or approved by someone else a moment ago.
      if (!approved) throw unavailable(await rowFor(id), now, 'approve');
      deps.events.emit('shield.pii_export_approved', {
        exportId: id,
        requesterId: approved.requestedBy,
        approverId: principal.userId,
        subjects: approved.subjectCount,
      });
      return view(approved, now);
    },

    /**
     * The one download: claimed first (so a second, concurrent one is refused), then each person revealed
     * through the vault under a grant for exactly this export's people. A reveal failing for another reason
     * than the person being gone fails the download, which stays used: ask again.
     */
    async download(principal: StaffPrincipal, id: string) {
      const row = await rowFor(id);
      if (row.requestedBy !== principal.userId) {
        throw ShieldErrors.SHIELD_EXPORT_NOT_REQUESTER(
          'Only the staff member who asked for this export may download it.',
        );
      }
      const now = deps.clock.now();
      const claimed = await claimDownload(db, id, principal.userId, now);
      if (!claimed) throw unavailable(await rowFor(id), now, 'download');
      const subjectIds = claimed.subjectIds;
      const fields = claimed.fields as ExportField[];
      const purpose = `bulk export ${claimed.id} approved by ${claimed.approvedBy}: ${claimed.reason}`;
      const { grant, close } = deps.budget.issueGrant('pii-export', claimed.id, principal.userId, subjectIds);
      const items: ExportedPerson[] = [];
      const gone: { id: string; reason: 'erased' | 'not_found' }[] = [];
      try {
        for (const subjectId of subjectIds) {
          try {
            items.push(await deps.subjects.reveal(principal, subjectId, fields, purpose, grant));
          } catch (error) {
            if (!(error instanceof AppError) || !UNAVAILABLE_CODES.has(error.code)) throw error;
            gone.push({ id: subjectId, reason: error.code === 'VAULT_DATA_ERASED' ? 'erased' : 'not_found' });
          }
        }
      } finally {
        close();
      }
      deps.events.emit('shield.pii_export_downloaded', {
        exportId: claimed.id,
        requesterId: principal.userId,
        approverId: claimed.approvedBy ?? '',
        subjects: items.length,
        unavailable: gone.length,
      });
      return {
        id: claimed.id,
        reason: claimed.reason,
        requestedBy: claimed.requestedBy,
        approvedBy: claimed.approvedBy ?? '',
        generatedAt: now,
        fields,
        items,
        unavailable: gone,
      };
    },
  };
}

export type PiiExports = ReturnType<typeof createPiiExports>;
