import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { App } from '../../platform/http/app-types.ts';
import { IdParam, Text, Timestamp } from '../../platform/http/schema-types.ts';
import { staffOf } from '../identity/index.ts';
import { ASSESSMENT_TEXT_FIELDS } from './assessment.ts';
import type { Notices } from './notices.service.ts';
import { reportMarkdown, reportPdf } from './regulator-report.ts';

const MAX_PAGE = 500;
const DEFAULT_PAGE = 100;
// Sequence numbers are 32-bit: a longer cursor would reach the database as an out-of-range error.
const Cursor = Type.String({ pattern: '^[1-9][0-9]{0,8}$', description: 'nextCursor of the previous page' });
const Params = Type.Object({ id: IdParam('incident') }, { additionalProperties: false });
const RegulatorKey = Type.String({
  pattern: '^[a-z]{2}(-[a-zA-Z]{2,8})?$',
  description: 'An obligation key from the incident, e.g. uk, kr, eu-DE, cn-pipl',
});
const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

const AssessmentBody = Type.Object(
  {
    ...Object.fromEntries(
      ASSESSMENT_TEXT_FIELDS.map((name) => [name, Type.Optional(Text({ minLength: 3, maxLength: 4_000 }))]),
    ),
    unauthorizedAccess: Type.Optional(Type.Boolean()),
    lawEnforcementDelay: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

const AssessmentView = Type.Object({
  ...Object.fromEntries(ASSESSMENT_TEXT_FIELDS.map((name) => [name, Type.String()])),
  delayReason: Type.Union([Type.String(), Type.Null()]),
  unauthorizedAccess: Type.Boolean(),
  lawEnforcementDelay: Type.Boolean(),
});

const Clock = Type.Object({
  kind: Type.String(),
  text: Type.String(),
  deadline: Type.Union([Timestamp, Type.Null()]),
  status: Type.Union(['done', 'overdue', 'due', 'due_now', 'open'].map((s) => Type.Literal(s))),
});
export const ObligationView = Type.Object({
  key: Type.String(),
  jurisdiction: Type.String(),
  name: Type.String(),
  regulator: Type.String(),
  countries: Type.Array(Type.String()),
  people: Type.Integer(),
  requirement: Type.Union(['required', 'assess', 'not_required'].map((s) => Type.Literal(s))),
  reason: Type.String(),
  clocks: Type.Array(Clock),
  source: Type.String(),
});

const NoticeView = Type.Object({
  id: Type.String(),
  audience: Type.Union([Type.Literal('person'), Type.Literal('regulator')]),
  recipient: Type.String({ description: "A person's user ID, or a regulator's obligation key" }),
  country: Nullable(Type.String()),
  language: Type.String(),
  status: Type.String({ description: 'draft, approved, queued, filed or withdrawn' }),
  delivery: Nullable(Type.String({ description: 'Once queued: pending, sent, failed, dead or no_address' })),
  draftedBy: Type.String(),
  draftedAt: Timestamp,
  approvedBy: Nullable(Type.String()),
  approvedAt: Type.Union([Timestamp, Type.Null()]),
  sentAt: Type.Union([Timestamp, Type.Null()]),
  filedAt: Type.Union([Timestamp, Type.Null()]),
  filedReference: Nullable(Type.String()),
});

const ReportView = Type.Object({
  incidentId: Type.String(),
  key: Type.String(),
  jurisdiction: Type.String(),
  name: Type.String(),
  regulator: Type.String(),
  from: Type.String(),
  requirement: Type.String(),
  reason: Type.String(),
  deadlines: Type.Array(
    Type.Object({
      kind: Type.String(),
      text: Type.String(),
      deadline: Nullable(Type.String()),
      status: Type.String(),
    }),
  ),
  generatedAt: Type.String(),
  fields: Type.Array(Type.Object({ label: Type.String(), value: Type.String() })),
  source: Type.String(),
});

/**
 * Breach notices: the assessment they are written from, the regulators' clocks, drafting, a second
 * person's approval (with step-up), delivery status, and the regulator reports as JSON, Markdown or PDF.
 */
export function registerNoticeRoutes(app: App, notices: Notices, afterApproval: () => void): void {
  const tags = ['security: incidents'];
  const read = { access: { permission: 'security:read' } } as const;
  const change = { access: { permission: 'security:contain' } } as const;

  app.get('/v1/security/incidents/:id/obligations', {
    config: read,
    schema: {
      tags,
      summary: 'Who must be told, by when, and what is overdue',
      description:
        "Per regulator of the affected people's countries: whether notification is required (or must be assessed), each deadline counted from awareness, and its status. The tightest clock comes first.",
      params: Params,
      response: { 200: Type.Object({ items: Type.Array(ObligationView) }) },
    },
    handler: async (request) => ({ items: await notices.obligations(request.params.id) }),
  });

  app.get('/v1/security/incidents/:id/assessment', {
    config: read,
    schema: {
      tags,
      summary: 'What the notices are written from (staff text, or defaults from the scope and timeline)',
      params: Params,
      response: { 200: AssessmentView },
    },
    handler: async (request) => notices.assessment(request.params.id),
  });

  app.put('/v1/security/incidents/:id/assessment', {
    config: change,
    schema: {
      tags,
      summary: "Record the team's assessment: nature, cause, consequences, measures, delay reason",
      params: Params,
      body: AssessmentBody,
      response: { 200: AssessmentView },
    },
    handler: async (request) => {
      await notices.assess(request.params.id, staffOf(request).userId, request.body);
      return notices.assessment(request.params.id);
    },
  });

  app.post('/v1/security/incidents/:id/notices/draft', {
    config: change,
    schema: {
      tags,
      summary: 'Draft a notice for every affected person and a report for every regulator to tell',
      params: Params,
      response: {
        200: Type.Object({
          batch: Type.String({ description: 'Name it when approving these drafts' }),
          people: Type.Integer(),
          regulators: Type.Array(Type.String()),
          kept: Type.Integer(),
        }),
      },
    },
    handler: async (request) => notices.draft(request.params.id, staffOf(request).userId),
  });

  app.post('/v1/security/incidents/:id/notices/approve', {
    config: { access: { permission: 'security:contain', stepUp: true } },
    schema: {
      tags,
      summary: 'Approve the drafts you read for sending (someone other than who drafted them)',
      description:
        '`batch` is `summary.draftBatch` from GET …/notices: if the notices were drafted again since, nothing is approved (409 RESPOND_DRAFTS_CHANGED).',
      params: Params,
      body: Type.Object(
        { batch: Type.String({ pattern: '^ndr_[0-9a-z]{26}$', description: 'The drafts read' }) },
        { additionalProperties: false },
      ),
      response: { 200: Type.Object({ approved: Type.Integer() }) },
    },
    handler: async (request) => {
      const outcome = await notices.approve(request.params.id, staffOf(request).userId, request.body.batch);
      afterApproval();
      return outcome;
    },
  });

  app.get('/v1/security/incidents/:id/notices', {
    config: read,
    schema: {
      tags,
      summary:
        "The incident's notices with their delivery status (IDs, countries and languages; no personal data)",
      params: Params,
      querystring: Type.Object(
        {
          audience: Type.Optional(Type.Union([Type.Literal('person'), Type.Literal('regulator')])),
          cursor: Type.Optional(Cursor),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE })),
        },
        { additionalProperties: false },
      ),
      response: {
        200: Type.Object({
          items: Type.Array(NoticeView),
          nextCursor: Type.Union([Cursor, Type.Null()]),
          summary: Type.Object({
            people: Type.Record(Type.String(), Type.Integer()),
            regulators: Type.Record(Type.String(), Type.Integer()),
            draftBatch: Type.Union([Type.String(), Type.Null()]),
          }),
        }),
      },
    },
    handler: async (request) => {
      const { audience, cursor, limit } = request.query;
      const page = await notices.list(request.params.id, {
        limit: limit ?? DEFAULT_PAGE,
        ...(audience ? { audience } : {}),
        ...(cursor ? { after: Number(cursor) } : {}),
      });
      return {
        items: page.items,
        nextCursor: page.next === null ? null : String(page.next),
        summary: await notices.summary(request.params.id),
      };
    },
  });

  app.get('/v1/security/incidents/:id/reports/:key', {
    config: read,
    schema: {
      tags,
      summary: "One regulator's report: every field its rules require, as JSON, Markdown or PDF",
      params: Type.Object({ id: IdParam('incident'), key: RegulatorKey }, { additionalProperties: false }),
      querystring: Type.Object(
        { format: Type.Optional(Type.Union(['json', 'md', 'pdf'].map((f) => Type.Literal(f)))) },
        { additionalProperties: false },
      ),
      response: { 200: ReportView },
    },
    handler: async (request, reply) => {
      const report = await notices.report(request.params.id, request.params.key);
      const name = `breach-report-${report.incidentId}-${report.key}`;
      if (request.query.format === 'md') {
        return sendFile(reply, 'text/markdown; charset=utf-8', `${name}.md`, reportMarkdown(report));
      }
      if (request.query.format === 'pdf') {
        return sendFile(reply, 'application/pdf', `${name}.pdf`, await reportPdf(report));
      }
      return report;
    },
  });

  app.post('/v1/security/incidents/:id/notices/:noticeId/filed', {
    // Filing stops a regulator's clock: as deliberate as approving.
    config: { access: { permission: 'security:contain', stepUp: true } },
    schema: {
      tags,
      summary: "Record that a regulator report was submitted through the regulator's own channel",
      params: Type.Object(
        { id: IdParam('incident'), noticeId: IdParam('notice') },
        { additionalProperties: false },
      ),
      body: Type.Object(
        {
          reference: Text({ minLength: 1, maxLength: 200 }),
          stage: Type.Optional(
            Type.Union([Type.Literal('preliminary'), Type.Literal('final')], {
              description:
                'For a regulator that takes two reports (Japan): which one this was; final by default',
            }),
          ),
        },
        { additionalProperties: false },
      ),
      response: { 200: NoticeView },
    },
    handler: async (request) =>
      notices.file(
        request.params.id,
        request.params.noticeId,
        staffOf(request).userId,
        request.body.reference,
        request.body.stage ?? 'final',
      ),
  });
}

/** A download: the bytes as they are, never sniffed or run by a browser. */
function sendFile(reply: FastifyReply, type: string, filename: string, body: string | Buffer) {
  return reply
    .header('content-type', type)
    .header('content-disposition', `attachment; filename="${filename}"`)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'private, no-store')
    .send(body);
}
