import { Type } from '@sinclair/typebox';
import type { App } from '../../../platform/http/app-types.ts';
import { CountryCode, IdParam, Text, Timestamp } from '../../../platform/http/schema-types.ts';
import { staffOf } from '../../identity/index.ts';
import { EXPORT_FIELDS, type PiiExports } from './pii-exports.service.ts';

// The largest cap BULWARK_PII_EXPORT_MAX_SUBJECTS accepts (a body holds at most 10,000 values); the
// configured cap is checked by the service.
const MAX_LISTED_SUBJECTS = 5_000;
// Each person is one reveal (a few milliseconds); a download that outlived the default route limit would
// be used up with its answer dropped.
const DOWNLOAD_TIME_LIMIT_MS = 120_000;
// Against the principal and route rate limits: asking resolves up to the cap of people (like a look-up);
// a download reveals them all (like a shopper's own export).
const REQUEST_COST = 10;
const DOWNLOAD_COST = 20;
const Field = Type.Union(EXPORT_FIELDS.map((field) => Type.Literal(field)));
const NullableTime = Type.Union([Timestamp, Type.Null()]);

const ExportRequestBody = Type.Object(
  {
    reason: Text({
      minLength: 10,
      maxLength: 300,
      description: 'Why these people’s data must leave, for the approver and the record',
    }),
    fields: Type.Optional(
      Type.Array(Field, {
        minItems: 1,
        maxItems: EXPORT_FIELDS.length,
        uniqueItems: true,
        description: 'What each entry holds; every field when absent',
      }),
    ),
    subjectIds: Type.Optional(
      Type.Array(IdParam('user'), {
        minItems: 1,
        maxItems: MAX_LISTED_SUBJECTS,
        uniqueItems: true,
        description: 'The customers, by ID (or give a filter instead)',
      }),
    ),
    filter: Type.Optional(
      Type.Object(
        { country: CountryCode },
        { additionalProperties: false, description: 'Every customer in a country (or give subjectIds)' },
      ),
    ),
  },
  { additionalProperties: false },
);

const ExportView = Type.Object({
  id: Type.String(),
  status: Type.Union(
    ['requested', 'approved', 'downloaded', 'expired'].map((status) => Type.Literal(status)),
  ),
  reason: Type.String(),
  fields: Type.Array(Type.String()),
  filter: Type.Union([Type.Object({ country: Type.String() }), Type.Null()]),
  subjectCount: Type.Integer(),
  subjectIds: Type.Array(Type.String()),
  requestedBy: Type.String(),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  approvedBy: Type.Union([Type.String(), Type.Null()]),
  approvedAt: NullableTime,
  downloadBy: NullableTime,
  downloadedAt: NullableTime,
});

const ExportSummary = Type.Omit(ExportView, ['subjectIds']);

const ExportedPerson = Type.Object({
  id: Type.String(),
  fullName: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
  phone: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  addresses: Type.Optional(
    Type.Array(
      Type.Object({
        id: Type.String(),
        country: Type.String(),
        recipientName: Type.String(),
        phone: Type.String(),
        line1: Type.String(),
        line2: Type.Union([Type.String(), Type.Null()]),
        city: Type.String(),
        region: Type.Union([Type.String(), Type.Null()]),
        postalCode: Type.String(),
      }),
    ),
  ),
});

const ExportFile = Type.Object({
  id: Type.String(),
  reason: Type.String(),
  requestedBy: Type.String(),
  approvedBy: Type.String(),
  generatedAt: Timestamp,
  fields: Type.Array(Type.String()),
  items: Type.Array(ExportedPerson),
  unavailable: Type.Array(
    Type.Object({
      id: Type.String(),
      reason: Type.Union([Type.Literal('erased'), Type.Literal('not_found')]),
    }),
  ),
});

/**
 * Two-person bulk exports of customers' personal data. Asking, approving and downloading need a recent
 * authentication (step-up); reading the requests shows IDs and reasons only.
 */
export function registerPiiExportRoutes(app: App, exports: PiiExports): void {
  const tags = ['staff: exports'];
  const read = { access: { permission: 'customers:reveal' } } as const;
  const act = { access: { permission: 'customers:reveal', stepUp: true } } as const;
  const params = Type.Object({ id: IdParam('piiExport') }, { additionalProperties: false });

  app.get('/v1/staff/exports', {
    config: read,
    schema: {
      tags,
      summary:
        'Export requests waiting for a second person or for their download (newest first, at most 100)',
      response: { 200: Type.Object({ items: Type.Array(ExportSummary) }) },
    },
    handler: async () => ({ items: await exports.list() }),
  });

  app.post('/v1/staff/exports', {
    config: { ...act, rateCost: REQUEST_COST },
    schema: {
      tags,
      summary: 'Ask for a bulk export of customers’ personal data; a different staff member must approve it',
      body: ExportRequestBody,
      response: { 201: ExportView },
    },
    handler: async (request, reply) =>
      reply.code(201).send(await exports.request(staffOf(request), request.body)),
  });

  app.get('/v1/staff/exports/:id', {
    config: read,
    schema: {
      tags,
      summary: 'An export request: who asked, why, and for whom',
      params,
      response: { 200: ExportView },
    },
    handler: async (request) => exports.get(request.params.id),
  });

  app.post('/v1/staff/exports/:id/approve', {
    config: act,
    schema: {
      tags,
      summary: 'Approve someone else’s export request (two-person rule)',
      params,
      response: { 200: ExportView },
    },
    handler: async (request) => exports.approve(staffOf(request), request.params.id),
  });

  app.get('/v1/staff/exports/:id/download', {
    config: { ...act, timeLimitMs: DOWNLOAD_TIME_LIMIT_MS, rateCost: DOWNLOAD_COST },
    schema: {
      tags,
      summary:
        'Download an approved export, once, within 30 minutes of its approval (each person revealed and recorded)',
      params,
      response: { 200: ExportFile },
    },
    handler: async (request, reply) => {
      reply.header('content-disposition', `attachment; filename="${request.params.id}.json"`);
      return exports.download(staffOf(request), request.params.id);
    },
  });
}
