import { sql } from 'kysely';
import type { PrivacyContact } from '../../config/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import { isUniqueViolation, withTransaction } from '../../platform/db/index.ts';
import { newId, type UserId } from '../../platform/ids.ts';
import type { BreachNoticeMessage, OutboxMessage } from '../notify/index.ts';
import { noticeLanguage, renderNotice } from '../notify/index.ts';
import {
  type Assessment,
  type CompleteAssessment,
  categoriesOf,
  completeAssessment,
  type IncidentFacts,
} from './assessment.ts';
import { categoryOf } from './field-categories.ts';
import { readScope, type ScopeSummary, scopedSubjects } from './incident-scope.ts';
import { addToTimeline, readTimeline, type TimelineEntry } from './incident-timeline.ts';
import { type Obligation, obligations, type Progress } from './notification-clocks.ts';
import {
  buildReport,
  missingFields,
  type NoticeProgress,
  type RegulatorReport,
  reportMarkdown,
  reportPdf,
  reportTitle,
} from './regulator-report.ts';
import { RespondErrors } from './respond.errors.ts';
import type { IncidentRow, NoticeAudience, NoticeRow, NoticeStatus, RespondDb } from './respond.tables.ts';

/**
 * What a person's notice says about them: kinds of data and the window, never the data itself. Frozen
 * when drafted, so what is sent is what the approver read, whatever the scope does later.
 */
interface PersonContent {
  readonly categories: string[];
  readonly fields: string[];
  readonly periodFrom: string | null;
  readonly periodTo: string | null;
}

/** Where a regulator report goes: the regulator's own address, or the privacy team to file it by hand. */
interface RegulatorContent {
  readonly report: RegulatorReport;
  readonly deliverTo: 'regulator' | 'privacy_team';
}

export interface NoticesDeps {
  readonly db: AnyDb;
  readonly clock: Clock;
  readonly privacy: PrivacyContact;
  /** Notify's outbox: a message recorded in the caller's transaction, answering its ID. */
  readonly send: (
    db: AnyDb,
    to: { userId: UserId } | { address: string },
    message: OutboxMessage,
  ) => Promise<string | null>;
  readonly outcomes: (
    ids: readonly string[],
  ) => Promise<Map<string, { status: string; sentAt: Date | null }>>;
  /** Each person's language (identity). */
  readonly languagesOf: (userIds: readonly string[]) => Promise<Map<string, string>>;
  /** Every account the platform holds (Brazil's report asks). */
  readonly accountCount: () => Promise<number>;
}

export interface NoticeView {
  readonly id: string;
  readonly audience: NoticeAudience;
  readonly recipient: string;
  readonly country: string | null;
  readonly language: string;
  readonly status: NoticeStatus;
  readonly delivery: string | null;
  readonly draftedBy: string;
  readonly draftedAt: Date;
  readonly approvedBy: string | null;
  readonly approvedAt: Date | null;
  readonly sentAt: Date | null;
  readonly filedAt: Date | null;
  readonly filedReference: string | null;
}

export interface NoticeSummary {
  readonly people: Readonly<Record<string, number>>;
  readonly regulators: Readonly<Record<string, number>>;
  /** The drafts awaiting approval: the approval names this, so it approves exactly what was read. */
  readonly draftBatch: string | null;
}

const BATCH = 200;
const parseList = (text: string) => JSON.parse(text) as string[];
/** Outbox states after which a notice will not change any more. */
const SETTLED = new Set(['sent', 'failed', 'dead', 'no_address']);

/**
 * Breach notices: drafted from the incident's scope and obligations, approved by a second person, put in
 * notify's outbox in batches (each notice and its message in one transaction, so a crash loses or
 * doubles nothing), and followed until delivered. Regulator reports are built from the reference's field
 * lists and exported as Markdown, JSON and PDF.
 */
export function createNotices(deps: NoticesDeps) {
  const db = deps.db as unknown as RespondDb;

  async function incident(id: string, handle: RespondDb = db): Promise<IncidentRow> {
    const row = await handle
      .selectFrom('respondIncidents')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw RespondErrors.RESPOND_INCIDENT_NOT_FOUND('No incident has that ID.');
    return row;
  }

  const assessmentOf = (row: IncidentRow): Assessment =>
    row.assessment ? (JSON.parse(row.assessment) as Assessment) : {};

  async function factsOf(
    row: IncidentRow,
    scope: ScopeSummary | null,
    handle: RespondDb = db,
  ): Promise<IncidentFacts> {
    const timeline = await readTimeline(handle, row.id);
    const byField = scope?.byField ?? {};
    return {
      title: row.title,
      awareAt: row.awareAt,
      from: scope?.from ?? null,
      to: scope?.to ?? null,
      people: scope?.people ?? 0,
      byField,
      categories: categoriesOf(byField),
      principals: parseList(row.principals),
      networks: parseList(row.networks),
      // The kind of each containment only: its target is a person's or a network's identifier.
      containments: timeline.filter((e) => e.kind === 'containment').map((e) => e.text.split(' ')[0] ?? ''),
      alerts: timeline.filter((e) => e.kind === 'alert' && e.ref).map((e) => e.ref as string),
    };
  }

  /** Per obligation: when its report went to the regulator, and when its residents were all told. */
  async function progressOf(
    incidentId: string,
  ): Promise<(key: string, countries: readonly string[]) => Progress> {
    const assessed = await db
      .selectFrom('respondTimeline')
      .select('at')
      .where('incidentId', '=', incidentId)
      .where('kind', '=', 'assessment')
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst();
    const reports = await db
      .selectFrom('respondNotices')
      .select(['recipient', 'content', 'sentAt', 'filedAt', 'filedStage'])
      .where('incidentId', '=', incidentId)
      .where('audience', '=', 'regulator')
      .execute();
    const people = await db
      .selectFrom('respondNotices')
      .select([
        'country',
        sql<number>`count(*)`.as('total'),
        sql<number>`count(*) filter (where delivery in ('sent', 'no_address'))`.as('done'),
        sql<Date | null>`max(sent_at)`.as('lastSent'),
      ])
      .where('incidentId', '=', incidentId)
      .where('audience', '=', 'person')
      .where('status', '!=', 'withdrawn')
      .groupBy('country')
      .execute();
    const byCountry = new Map(people.map((row) => [row.country ?? 'unknown', row]));
    return (key, countries) => {
      const report = reports.find((r) => r.recipient === key);
      const direct = report && (JSON.parse(report.content) as RegulatorContent).deliverTo === 'regulator';
      const reportSentAt = report?.filedAt ?? (direct ? report.sentAt : null);
      const finalReportAt = report?.filedStage === 'final' ? report.filedAt : null;
      const common = { reportSentAt, finalReportAt, assessedAt: assessed?.at ?? null };
      let individualsNotifiedAt: Date | null = null;
      let complete = false;
      for (const country of countries) {
        const row = byCountry.get(country);
        if (!row) continue;
        if (Number(row.done) < Number(row.total)) return { ...common, individualsNotifiedAt: null };
        complete = true;
        const last = row.lastSent ? new Date(row.lastSent) : null;
        if (last && (!individualsNotifiedAt || last > individualsNotifiedAt)) individualsNotifiedAt = last;
      }
      return { ...common, individualsNotifiedAt: complete ? individualsNotifiedAt : null };
    };
  }

  async function obligationsOf(row: IncidentRow, scope: ScopeSummary | null): Promise<Obligation[]> {
    if (!scope) return [];
    const progress = await progressOf(row.id);
    return obligations({
      awareAt: row.awareAt,
      now: deps.clock.now(),
      byCountry: scope.byCountry,
      totalPeople: scope.people,
      categories: categoriesOf(scope.byField),
      // The only part of the assessment the rules read; its default needs no facts.
      unauthorizedAccess: assessmentOf(row).unauthorizedAccess ?? true,
      progress,
    });
  }

  async function noticeProgress(incidentId: string): Promise<NoticeProgress> {
    const row = await db
      .selectFrom('respondNotices')
      .select([
        sql<number>`count(*)`.as('people'),
        sql<number>`count(*) filter (where status in ('approved', 'queued'))`.as('approved'),
        sql<number>`count(*) filter (where delivery = 'sent')`.as('sent'),
        sql<Date | null>`min(sent_at)`.as('firstSentAt'),
      ])
      .where('incidentId', '=', incidentId)
      .where('audience', '=', 'person')
      .where('status', '!=', 'withdrawn')
      .executeTakeFirstOrThrow();
    return {
      people: Number(row.people),
      approved: Number(row.approved),
      sent: Number(row.sent),
      firstSentAt: row.firstSentAt ? new Date(row.firstSentAt) : null,
    };
  }

  /** The English notice with every kind of data in the incident: the sample regulators ask for. */
  function sampleNotice(row: IncidentRow, facts: IncidentFacts): string {
    const rendered = renderNotice(personMessage(row, facts, [...facts.categories], 'en'));
    return `${rendered.title}\n\n${rendered.text}`;
  }

  function personMessage(
    row: IncidentRow,
    period: { readonly from: Date | null; readonly to: Date | null },
    categories: string[],
    language: string,
  ): BreachNoticeMessage {
    return {
      template: 'breach_notice',
      incidentId: row.id,
      language,
      categories,
      periodFrom: period.from,
      periodTo: period.to,
      awareAt: row.awareAt,
      noticeDate: deps.clock.now(),
      contact: {
        organisation: deps.privacy.organisation,
        email: deps.privacy.email,
        phone: deps.privacy.phone,
      },
    };
  }

  async function reportsFor(row: IncidentRow, scope: ScopeSummary): Promise<RegulatorReport[]> {
    const facts = await factsOf(row, scope);
    const assessment: CompleteAssessment = completeAssessment(assessmentOf(row), facts);
    const chronology = (await readTimeline(db, row.id)).map((e) => ({ at: e.at, text: chronicle(e) }));
    const notices = await noticeProgress(row.id);
    const totalSubjects = await deps.accountCount();
    const generatedAt = deps.clock.now();
    const noticeSample = sampleNotice(row, facts);
    return (await obligationsOf(row, scope))
      .filter((o) => o.requirement !== 'not_required')
      .map((obligation) =>
        buildReport({
          incidentId: row.id,
          severity: row.severity,
          obligation,
          assessment,
          facts,
          chronology,
          privacy: deps.privacy,
          noticeSample,
          notices,
          totalSubjects,
          generatedAt,
        }),
      )
      .filter((report) => report.fields.length > 0);
  }

  async function requireScope(row: IncidentRow): Promise<ScopeSummary> {
    const scope = await readScope(db, row.id);
    if (!scope) {
      throw RespondErrors.RESPOND_SCOPE_MISSING('Compute the incident scope first (POST …/scope).');
    }
    return scope;
  }

  /** Two draftings of one incident at once (two people, or a playbook step) meet a clear 409. */
  async function draftingTransaction(work: (trx: RespondDb) => Promise<void>): Promise<void> {
    try {
      await withTransaction(db, work);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw RespondErrors.RESPOND_DRAFTS_CHANGED(
          'Someone else is drafting these notices right now; try again.',
        );
      }
      throw error;
    }
  }

  /** Replaces a draft (or an approved notice not yet sent) with new content, or adds one. */
  async function upsertDraft(
    handle: RespondDb,
    row: IncidentRow,
    actorId: string,
    notice: {
      audience: NoticeAudience;
      recipient: string;
      country: string | null;
      language: string;
      content: string;
      draftBatch: string;
    },
  ): Promise<'drafted' | 'kept'> {
    const now = deps.clock.now();
    const existing = await handle
      .selectFrom('respondNotices')
      .select(['id', 'status'])
      .where('incidentId', '=', row.id)
      .where('audience', '=', notice.audience)
      .where('recipient', '=', notice.recipient)
      .forUpdate()
      .executeTakeFirst();
    if (existing && (existing.status === 'queued' || existing.status === 'filed')) return 'kept';
    if (existing) {
      await handle
        .updateTable('respondNotices')
        .set({
          ...notice,
          status: 'draft',
          draftedBy: actorId,
          draftedAt: now,
          approvedBy: null,
          approvedAt: null,
        })
        .where('id', '=', existing.id)
        .execute();
      return 'drafted';
    }
    await handle
      .insertInto('respondNotices')
      .values({
        id: newId('notice'),
        incidentId: row.id,
        ...notice,
        status: 'draft',
        draftedBy: actorId,
        draftedAt: now,
      })
      .execute();
    return 'drafted';
  }

  async function messageFor(row: NoticeRow, incidentRow: IncidentRow) {
    if (row.audience === 'person') {
      const content = JSON.parse(row.content) as PersonContent;
      const date = (at: string | null) => (at ? new Date(at) : null);
      const period = { from: date(content.periodFrom), to: date(content.periodTo) };
      return {
        to: { userId: row.recipient as UserId },
        message: personMessage(incidentRow, period, content.categories, row.language) as OutboxMessage,
      };
    }
    const { report } = JSON.parse(row.content) as RegulatorContent;
    const address = deps.privacy.regulatorAddresses[row.recipient] ?? deps.privacy.email;
    const pdf = await reportPdf(report);
    const markdown = reportMarkdown(report);
    const base = `breach-report-${report.incidentId}-${report.key}`;
    const message: OutboxMessage = {
      template: 'document',
      subject: reportTitle(report),
      text: `${markdown}\nThe report is attached as Markdown, JSON and PDF.`,
      attachments: [
        {
          filename: `${base}.md`,
          contentType: 'text/markdown',
          content: Buffer.from(markdown).toString('base64'),
        },
        {
          filename: `${base}.json`,
          contentType: 'application/json',
          content: Buffer.from(JSON.stringify(report, null, 2)).toString('base64'),
        },
        { filename: `${base}.pdf`, contentType: 'application/pdf', content: pdf.toString('base64') },
      ],
    };
    return { to: { address }, message };
  }

  return {
    /** Records the staff's assessment (merged over the last one); notices drafted later are written from it. */
    async assess(id: string, actorId: string, change: Assessment): Promise<Assessment> {
      return withTransaction(db, async (trx) => {
        const row = await trx
          .selectFrom('respondIncidents')
          .selectAll()
          .where('id', '=', id)
          .forUpdate()
          .executeTakeFirst();
        if (!row) throw RespondErrors.RESPOND_INCIDENT_NOT_FOUND('No incident has that ID.');
        const merged: Assessment = { ...assessmentOf(row), ...change };
        await trx
          .updateTable('respondIncidents')
          .set({ assessment: JSON.stringify(merged), updatedAt: deps.clock.now() })
          .where('id', '=', id)
          .execute();
        await addToTimeline(trx, id, {
          at: deps.clock.now(),
          kind: 'assessment',
          actorId,
          text: `assessment updated: ${Object.keys(change).sort().join(', ')}`,
          ref: null,
        });
        return merged;
      });
    },

    async assessment(id: string): Promise<CompleteAssessment> {
      const row = await incident(id);
      return completeAssessment(assessmentOf(row), await factsOf(row, await readScope(db, id)));
    },

    /** Per regulator: required or not and why, deadlines from awareness, what is overdue; tightest first. */
    async obligations(id: string): Promise<Obligation[]> {
      const row = await incident(id);
      return obligationsOf(row, await readScope(db, id));
    },

    /**
     * Drafts a notice for every person in the scope and a report for every regulator that must (or may
     * need to) be told. Notices already sent stay as they are; drafts of people no longer in scope are
     * withdrawn.
     */
    async draft(
      id: string,
      actorId: string,
    ): Promise<{ batch: string; people: number; regulators: string[]; kept: number }> {
      const row = await incident(id);
      const scope = await requireScope(row);
      const draftBatch = newId('noticeDraft');
      const period = { periodFrom: scope.from.toISOString(), periodTo: scope.to.toISOString() };
      const subjects = await scopedSubjects(db, id);
      const languages = await deps.languagesOf(subjects.map((s) => s.subjectId));
      const reports = await reportsFor(row, scope);
      let people = 0;
      let kept = 0;
      for (let at = 0; at < subjects.length; at += BATCH) {
        await draftingTransaction(async (trx) => {
          for (const subject of subjects.slice(at, at + BATCH)) {
            const content: PersonContent = {
              categories: [...new Set(subject.fields.map(categoryOf))].sort(),
              fields: [...subject.fields].sort(),
              ...period,
            };
            const outcome = await upsertDraft(trx, row, actorId, {
              audience: 'person',
              recipient: subject.subjectId,
              country: subject.country,
              language: noticeLanguage(languages.get(subject.subjectId) ?? 'en'),
              content: JSON.stringify(content),
              draftBatch,
            });
            if (outcome === 'drafted') people += 1;
            else kept += 1;
          }
        });
      }
      await draftingTransaction(async (trx) => {
        for (const report of reports) {
          const deliverTo = deps.privacy.regulatorAddresses[report.key] ? 'regulator' : 'privacy_team';
          const content: RegulatorContent = { report, deliverTo };
          const outcome = await upsertDraft(trx, row, actorId, {
            audience: 'regulator',
            recipient: report.key,
            country: null,
            language: 'en',
            content: JSON.stringify(content),
            draftBatch,
          });
          if (outcome === 'kept') kept += 1;
        }
        const inScope = subjects.map((s) => s.subjectId);
        const regulators = reports.map((r) => r.key);
        let stale = trx
          .updateTable('respondNotices')
          .set({ status: 'withdrawn' })
          .where('incidentId', '=', id)
          .where('status', 'in', ['draft', 'approved']);
        stale = stale.where((eb) =>
          eb.or([
            eb.and([
              eb('audience', '=', 'person'),
              inScope.length ? eb('recipient', 'not in', inScope) : eb.lit(true),
            ]),
            eb.and([
              eb('audience', '=', 'regulator'),
              regulators.length ? eb('recipient', 'not in', regulators) : eb.lit(true),
            ]),
          ]),
        );
        await stale.execute();
        await addToTimeline(trx, id, {
          at: deps.clock.now(),
          kind: 'notices',
          actorId,
          text: `drafted notices to ${people} people and reports to ${reports.map((r) => r.key).join(', ') || 'no regulator'}${kept ? ` (${kept} already sent, kept)` : ''}`,
          ref: null,
        });
      });
      return { batch: draftBatch, people, regulators: reports.map((r) => r.key), kept };
    },

    /**
     * A second person approves every draft (drafts are never approved by whoever drafted them). A regulator
     * whose deadline has passed needs the reason for the delay first. Approved notices go to the outbox.
     */
    async approve(id: string, actorId: string, batch: string): Promise<{ approved: number }> {
      const row = await incident(id);
      const drafts = await db
        .selectFrom('respondNotices')
        .select(['id', 'audience', 'recipient', 'draftedBy', 'draftBatch', 'content'])
        .where('incidentId', '=', id)
        .where('status', '=', 'draft')
        .execute();
      if (drafts.length === 0)
        throw RespondErrors.RESPOND_NOTHING_TO_APPROVE('There are no drafts to approve.');
      if (drafts.some((d) => d.draftBatch !== batch)) {
        throw RespondErrors.RESPOND_DRAFTS_CHANGED(
          'The notices were drafted again since you read them: read the current drafts and approve those.',
        );
      }
      if (drafts.some((d) => d.draftedBy === actorId)) {
        throw RespondErrors.RESPOND_SELF_APPROVAL('Notices you drafted must be approved by another person.');
      }
      // What goes out is the stored draft: it must still tell the truth about the deadlines and be complete.
      const fresh = new Map((await reportsFor(row, await requireScope(row))).map((r) => [r.key, r]));
      const problems: string[] = [];
      for (const draft of drafts.filter((d) => d.audience === 'regulator')) {
        const stored = (JSON.parse(draft.content) as RegulatorContent).report;
        const now = fresh.get(draft.recipient);
        const statuses = (r: RegulatorReport | undefined) =>
          JSON.stringify(r?.deadlines.map((d) => d.status));
        if (statuses(stored) !== statuses(now))
          problems.push(`${draft.recipient}: its deadlines changed since drafting`);
        const missing = missingFields(stored);
        if (missing.length > 0) problems.push(`${draft.recipient} needs ${missing.join('; ')}`);
      }
      if (problems.length > 0) {
        throw RespondErrors.RESPOND_REPORT_INCOMPLETE(
          `${problems.join(' | ')}. Give delayReason in the assessment where one is overdue, and draft again.`,
        );
      }
      const now = deps.clock.now();
      const approved = await withTransaction(db, async (trx) => {
        const result = await trx
          .updateTable('respondNotices')
          .set({ status: 'approved', approvedBy: actorId, approvedAt: now })
          .where('incidentId', '=', id)
          .where('status', '=', 'draft')
          .where('draftBatch', '=', batch)
          .where('draftedBy', '!=', actorId)
          .executeTakeFirst();
        const count = Number(result.numUpdatedRows);
        await addToTimeline(trx, id, {
          at: now,
          kind: 'notices',
          actorId,
          text: `approved ${count} notices for sending`,
          ref: null,
        });
        return count;
      });
      return { approved };
    },

    /**
     * Puts approved notices in the outbox, a batch per transaction: a notice becomes `queued` in the same
     * transaction that records its message, so a crash at any point neither loses nor repeats one. Safe to
     * run on every node at once (`skip locked`); answers how many it queued.
     */
    async dispatch(): Promise<number> {
      let queued = 0;
      const incidents = new Map<string, IncidentRow>();
      for (;;) {
        const count = await withTransaction(db, async (trx) => {
          const batch = await trx
            .selectFrom('respondNotices')
            .selectAll()
            .where('status', '=', 'approved')
            .orderBy('seq')
            .limit(BATCH)
            .forUpdate()
            .skipLocked()
            .execute();
          for (const notice of batch) {
            // Inside this transaction: the embedded database has one connection.
            const known = incidents.get(notice.incidentId) ?? (await incident(notice.incidentId, trx));
            incidents.set(notice.incidentId, known);
            const { to, message } = await messageFor(notice, known);
            const messageId = await deps.send(trx, to, message);
            await trx
              .updateTable('respondNotices')
              .set({
                status: 'queued',
                messageId,
                queuedAt: deps.clock.now(),
                delivery: messageId === null ? 'no_address' : 'pending',
              })
              .where('id', '=', notice.id)
              .execute();
          }
          return batch.length;
        });
        queued += count;
        if (count < BATCH) return queued;
      }
    },

    /** Copies the outbox's outcome onto queued notices still on their way (a few thousand at a time). */
    async refresh(id: string): Promise<void> {
      const waiting = await db
        .selectFrom('respondNotices')
        .select(['id', 'messageId'])
        .where('incidentId', '=', id)
        .where('status', '=', 'queued')
        .where('delivery', 'in', ['pending', 'sending'])
        .limit(5_000)
        .execute();
      const ids = waiting.map((w) => w.messageId).filter((m): m is string => m !== null);
      if (ids.length === 0) return;
      const outcomes = await deps.outcomes(ids);
      for (const notice of waiting) {
        const outcome = notice.messageId ? outcomes.get(notice.messageId) : undefined;
        if (!outcome || !SETTLED.has(outcome.status)) continue;
        await db
          .updateTable('respondNotices')
          .set({ delivery: outcome.status, sentAt: outcome.sentAt })
          .where('id', '=', notice.id)
          .execute();
      }
    },

    async list(
      id: string,
      options: { audience?: NoticeAudience; after?: number; limit: number },
    ): Promise<{ items: NoticeView[]; next: number | null }> {
      await incident(id);
      await this.refresh(id);
      let query = db
        .selectFrom('respondNotices')
        .selectAll()
        .where('incidentId', '=', id)
        .orderBy('seq')
        .limit(options.limit + 1);
      if (options.audience) query = query.where('audience', '=', options.audience);
      if (options.after !== undefined) query = query.where('seq', '>', options.after);
      const rows = await query.execute();
      const page = rows.slice(0, options.limit);
      const last = page[page.length - 1];
      return {
        items: page.map(view),
        next: rows.length > options.limit && last ? last.seq : null,
      };
    },

    /** Counts by status and delivery, for the incident page. */
    /** Counts by status and delivery as stored (the list, read first, has refreshed them). */
    async summary(id: string): Promise<NoticeSummary> {
      const rows = await db
        .selectFrom('respondNotices')
        .select(['audience', 'status', 'delivery', sql<number>`count(*)`.as('count')])
        .where('incidentId', '=', id)
        .groupBy(['audience', 'status', 'delivery'])
        .execute();
      const draft = await db
        .selectFrom('respondNotices')
        .select('draftBatch')
        .where('incidentId', '=', id)
        .where('status', '=', 'draft')
        .executeTakeFirst();
      const summary = {
        people: {} as Record<string, number>,
        regulators: {} as Record<string, number>,
        draftBatch: draft?.draftBatch ?? null,
      };
      for (const row of rows) {
        const bucket = row.audience === 'person' ? summary.people : summary.regulators;
        const key = row.status === 'queued' ? (row.delivery ?? 'pending') : row.status;
        bucket[key] = (bucket[key] ?? 0) + Number(row.count);
      }
      return summary;
    },

    /** One regulator's report: as drafted (or sent), else as it would be drafted now. */
    async report(id: string, key: string): Promise<RegulatorReport> {
      const row = await incident(id);
      const stored = await db
        .selectFrom('respondNotices')
        .select('content')
        .where('incidentId', '=', id)
        .where('audience', '=', 'regulator')
        .where('recipient', '=', key)
        .where('status', '!=', 'withdrawn')
        .executeTakeFirst();
      if (stored) return (JSON.parse(stored.content) as RegulatorContent).report;
      const live = (await reportsFor(row, await requireScope(row))).find((report) => report.key === key);
      if (!live)
        throw RespondErrors.RESPOND_REPORT_NOT_FOUND(`No regulator report "${key}" for this incident.`);
      return live;
    },

    /** A regulator report submitted through the regulator's own channel: the clock stops here. */
    async file(
      id: string,
      noticeId: string,
      actorId: string,
      reference: string,
      stage: 'preliminary' | 'final' = 'final',
    ): Promise<NoticeView> {
      return withTransaction(db, async (trx) => {
        const notice = await trx
          .selectFrom('respondNotices')
          .selectAll()
          .where('id', '=', noticeId)
          .where('incidentId', '=', id)
          .where('audience', '=', 'regulator')
          .forUpdate()
          .executeTakeFirst();
        if (!notice)
          throw RespondErrors.RESPOND_REPORT_NOT_FOUND('No regulator report with that ID on this incident.');
        if (notice.status !== 'queued' && notice.status !== 'approved') {
          throw RespondErrors.RESPOND_STATE_CONFLICT(
            `The report is ${notice.status}; only an approved report can be filed.`,
          );
        }
        const now = deps.clock.now();
        await trx
          .updateTable('respondNotices')
          .set({
            status: 'filed',
            filedBy: actorId,
            filedAt: now,
            filedReference: reference,
            filedStage: stage,
          })
          .where('id', '=', noticeId)
          .execute();
        await addToTimeline(trx, id, {
          at: now,
          kind: 'notices',
          actorId,
          text: `report to ${notice.recipient} filed (${stage}): ${reference}`,
          ref: noticeId,
        });
        return view({
          ...notice,
          status: 'filed',
          filedBy: actorId,
          filedAt: now,
          filedReference: reference,
          filedStage: stage,
        });
      });
    },
  };
}

/**
 * A timeline entry as a report's chronology tells it: what kind of step, never its identifiers or a
 * staff member's free text (which may name people).
 */
function chronicle(entry: TimelineEntry): string {
  const head = (separator: string) => entry.text.split(separator)[0] ?? '';
  switch (entry.kind) {
    case 'alert':
      return `detection alert: ${head(' (')}`;
    case 'containment':
      return `contained: ${head(' ')}`;
    case 'state':
      return `phase: ${head(':')}`;
    case 'scope':
      return `scope computed: ${head(' (')}`;
    case 'notices':
      return entry.text.startsWith('report to') ? 'a regulator report filed' : entry.text;
    case 'playbook':
      return `playbook ${head(':')}`;
    default:
      return {
        opened: 'incident opened',
        assigned: 'owner assigned',
        note: 'note added',
        assessment: 'assessment updated',
      }[entry.kind];
  }
}

function view(row: NoticeRow): NoticeView {
  return {
    id: row.id,
    audience: row.audience,
    recipient: row.recipient,
    country: row.country,
    language: row.language,
    status: row.status,
    delivery: row.delivery,
    draftedBy: row.draftedBy,
    draftedAt: row.draftedAt,
    approvedBy: row.approvedBy,
    approvedAt: row.approvedAt,
    sentAt: row.sentAt,
    filedAt: row.filedAt,
    filedReference: row.filedReference,
  };
}

export type Notices = ReturnType<typeof createNotices>;
