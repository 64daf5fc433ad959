import PDFDocument from 'pdfkit';
import type { PrivacyContact } from '../../config/index.ts';
import { type CompleteAssessment, countOf, describeCategories, type IncidentFacts } from './assessment.ts';
import type { Obligation } from './notification-clocks.ts';
import { jurisdiction, type ReportSource } from './notification-rules.ts';

/** Where the person notices stand, as a report states them (counts only). */
export interface NoticeProgress {
  readonly people: number;
  readonly approved: number;
  readonly sent: number;
  readonly firstSentAt: Date | null;
}

export interface ReportContext {
  readonly incidentId: string;
  readonly severity: string;
  readonly obligation: Obligation;
  readonly assessment: CompleteAssessment;
  readonly facts: IncidentFacts;
  readonly chronology: readonly { at: Date; text: string }[];
  readonly privacy: PrivacyContact;
  /** The notice to individuals in English, as sent (no personal data: it names kinds of data only). */
  readonly noticeSample: string;
  readonly notices: NoticeProgress;
  /** Everyone whose data the platform processes (Brazil asks for it). */
  readonly totalSubjects: number;
  readonly generatedAt: Date;
}

export interface ReportField {
  readonly label: string;
  readonly value: string;
}

/** A report to one regulator: every field its rules require, in the reference's words, with our answer. */
export interface RegulatorReport {
  readonly incidentId: string;
  readonly key: string;
  readonly jurisdiction: string;
  readonly name: string;
  readonly regulator: string;
  /** Who reports: the organisation and its contact point, on every report whatever its rules list. */
  readonly from: string;
  readonly requirement: string;
  readonly reason: string;
  readonly deadlines: { kind: string; text: string; deadline: string | null; status: string }[];
  readonly generatedAt: string;
  readonly fields: ReportField[];
  readonly source: string;
}

const iso = (at: Date | null) => (at ? at.toISOString() : 'unknown');

function contactLine(privacy: PrivacyContact): string {
  return [
    privacy.officer ? `${privacy.officer} (data protection officer)` : 'Privacy team',
    privacy.organisation,
    privacy.email,
    privacy.phone ?? 'no telephone line',
  ].join(', ');
}

function delayText(context: ReportContext): string {
  const late = context.obligation.clocks.filter(
    (clock) => clock.kind !== 'individuals' && clock.status === 'overdue',
  );
  if (late.length === 0) {
    const due = context.obligation.clocks.find((clock) => clock.deadline && clock.kind !== 'individuals');
    return `Not applicable: reported within the deadline${due?.deadline ? ` (due ${iso(due.deadline)})` : ''}.`;
  }
  return context.assessment.delayReason ?? '';
}

/** Each source's answer; every one is a sentence built from the incident, never a person's data. */
const SOURCES: Readonly<Record<ReportSource, (context: ReportContext) => string>> = {
  nature: (c) => c.assessment.nature,
  categories: (c) =>
    `${describeCategories(c.facts.categories)} (fields: ${Object.keys(c.facts.byField).sort().join(', ') || 'none'})`,
  people: (c) => `${c.obligation.people} people in this jurisdiction (${c.facts.people} in all)`,
  records: (c) =>
    `${c.obligation.people} data subjects here, ${c.facts.people} in all; records by field across the incident: ${
      Object.entries(c.facts.byField)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, count]) => `${name} ${count}`)
        .join(', ') || 'none'
    }; categories: ${describeCategories(c.facts.categories)}`,
  contact: (c) => contactLine(c.privacy),
  consequences: (c) => c.assessment.consequences,
  measures: (c) => c.assessment.measures,
  delay: delayText,
  reporter: (c) => `Reporter and contact person: ${contactLine(c.privacy)}`,
  cause: (c) => c.assessment.cause,
  individualSteps: (c) => c.assessment.individualSteps,
  entity: (c) =>
    `${c.privacy.organisation}, operator of the Bulwark cross-border shopping-agent platform (web and API: accounts, orders, parcels, warehouse checks)`,
  discovery: (c) =>
    `Discovered ${iso(c.facts.awareAt)} by automated detection in the platform's production system; type: unauthorised access to personal data; severity ${c.severity}; level by people affected: ${c.facts.people}`,
  trend: (c) =>
    c.facts.containments.length > 0
      ? 'Contained: the access used was cut off on detection; no further reads since.'
      : 'Under review; access rules tightened while the investigation continues.',
  leads: (c) =>
    `${countOf(c.facts.principals, 'account or key', 'accounts or keys')} used; ${countOf(c.facts.networks, 'network', 'networks')} recorded; ${countOf(c.facts.alerts, 'detection alert', 'detection alerts')}; the details are held as evidence for the authorities on request`,
  plannedMeasures: (c) => c.assessment.plannedMeasures,
  scene: () =>
    'Evidence preserved: the append-only, hash-chained audit trail with signed checkpoints holds every read; it was verified intact.',
  other: (c) =>
    `Incident ${c.incidentId}; notices to individuals: ${c.notices.sent} of ${c.notices.people} sent.`,
  noticeSample: (c) => c.noticeSample,
  noticeTiming: (c) =>
    c.notices.firstSentAt
      ? `Notices sent from ${iso(c.notices.firstSentAt)}`
      : `Notices approved for ${c.notices.approved} of ${c.notices.people} people; sending follows approval`,
  noticeDistribution: (c) =>
    `By e-mail to each affected person's registered address and in their in-app inbox (${c.notices.people} people)`,
  period: (c) => `${iso(c.facts.from)} to ${iso(c.facts.to)}`,
  notifyingIndividuals: (c) =>
    `Each affected person receives a notice by e-mail and in the app: ${c.notices.sent} of ${c.notices.people} sent so far.`,
  awareness: (c) => `${iso(c.facts.awareAt)}: ${c.facts.title}`,
  chronology: (c) => c.chronology.map((entry) => `${iso(entry.at)} ${entry.text}`).join('\n') || 'none',
  plan: (c) =>
    `Every affected person is told directly by e-mail and in the app, in their language, with steps to protect themselves (${c.notices.people} people).`,
  noNoticeGrounds: () => 'Not applicable: every affected individual is notified.',
  overview: (c) => c.assessment.nature,
  secondaryDamage: (c) =>
    `No secondary damage known at ${iso(c.generatedAt)}. Risk: ${c.assessment.consequences}`,
  principalsResponse: (c) => `${c.notices.sent} of ${c.notices.people} principals notified.`,
  publicAnnouncement: (c) => c.assessment.publicAnnouncement,
  when: (c) => `Between ${iso(c.facts.from)} and ${iso(c.facts.to)}: ${c.assessment.cause}`,
  legalRights: () =>
    'Data subjects may claim damages and request dispute mediation (Personal Information Dispute Mediation Committee); they may ask us to view, correct or delete their data.',
  securityMeasures: () =>
    'Before: personal data encrypted per person with keys wrapped by a master key; per-role read budgets; every read in a tamper-evident trail. After: the access used was revoked and its role re-examined.',
  dates: (c) => `Incident: ${iso(c.facts.from)} to ${iso(c.facts.to)}; known since ${iso(c.facts.awareAt)}`,
  controller: (c) => `${c.privacy.organisation} (not a small processing agent)`,
  processor: () => 'No processor involved',
  totalSubjects: (c) => `${c.totalSubjects} accounts`,
  otherEntities: () => 'None',
  findings: (c) =>
    `${countOf(c.facts.principals, 'account or key was', 'accounts or keys were')} used. ${c.assessment.cause}`,
  intimations: (c) =>
    `${c.notices.sent} of ${c.notices.people} Data Principals notified by e-mail and in the app.`,
};

/** The report for one obligation: the rule's fields, each answered. */
export function buildReport(context: ReportContext): RegulatorReport {
  const rule = jurisdiction(context.obligation.jurisdiction);
  const fields = (rule?.regulatorFields ?? []).map((f) => ({
    label: f.label,
    value: SOURCES[f.from](context),
  }));
  return {
    incidentId: context.incidentId,
    key: context.obligation.key,
    jurisdiction: context.obligation.name,
    name: context.obligation.name,
    regulator: context.obligation.regulator,
    from: contactLine(context.privacy),
    requirement: context.obligation.requirement,
    reason: context.obligation.reason,
    deadlines: context.obligation.clocks.map((clock) => ({
      kind: clock.kind,
      text: clock.text,
      deadline: clock.deadline ? clock.deadline.toISOString() : null,
      status: clock.status,
    })),
    generatedAt: context.generatedAt.toISOString(),
    fields,
    source: context.obligation.source,
  };
}

/** The fields a report still lacks an answer for (only the delay reason can be missing). */
export function missingFields(report: RegulatorReport): string[] {
  return report.fields.filter((f) => f.value.trim() === '').map((f) => f.label);
}

export function reportTitle(report: RegulatorReport): string {
  return `Personal data breach report - ${report.name}`;
}

export function reportMarkdown(report: RegulatorReport): string {
  const lines = [
    `# ${reportTitle(report)}`,
    '',
    `- To: ${report.regulator}`,
    `- From: ${report.from}`,
    `- Incident: ${report.incidentId}`,
    `- Notification: ${report.requirement} (${report.reason})`,
    ...report.deadlines.map(
      (d) => `- ${d.kind}: ${d.text}; due ${d.deadline ?? 'no fixed time'} (${d.status})`,
    ),
    `- Generated: ${report.generatedAt}`,
    `- Rules: ${report.source}`,
  ];
  for (const field of report.fields) lines.push('', `## ${field.label}`, '', field.value);
  return `${lines.join('\n')}\n`;
}

// The built-in PDF fonts speak Windows-1252: anything else is spelled out or replaced.
const PDF_SPELLED: Readonly<Record<string, string>> = { '≥': '>=', '≤': '<=', '—': '-', '–': '-', '→': '->' };
function pdfText(text: string): string {
  return [...text].map((ch) => PDF_SPELLED[ch] ?? ((ch.codePointAt(0) ?? 0) <= 0xff ? ch : '?')).join('');
}

/** The same report as a PDF (A4, the built-in Helvetica; the creation date is the report's). */
export function reportPdf(report: RegulatorReport): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: 'A4',
      margin: 56,
      info: {
        Title: pdfText(reportTitle(report)),
        Author: 'Bulwark',
        CreationDate: new Date(report.generatedAt),
      },
    });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc
      .font('Helvetica-Bold')
      .fontSize(16)
      .text(pdfText(reportTitle(report)));
    doc.moveDown(0.5).font('Helvetica').fontSize(9);
    doc.text(pdfText(`To: ${report.regulator}`));
    doc.text(pdfText(`From: ${report.from}`));
    doc.text(pdfText(`Incident: ${report.incidentId}`));
    doc.text(pdfText(`Notification: ${report.requirement} (${report.reason})`));
    for (const d of report.deadlines) {
      doc.text(pdfText(`${d.kind}: ${d.text}; due ${d.deadline ?? 'no fixed time'} (${d.status})`));
    }
    doc.text(pdfText(`Generated: ${report.generatedAt}`));
    for (const field of report.fields) {
      doc.moveDown(0.8).font('Helvetica-Bold').fontSize(11).text(pdfText(field.label));
      doc.moveDown(0.2).font('Helvetica').fontSize(10).text(pdfText(field.value));
    }
    doc.end();
  });
}
