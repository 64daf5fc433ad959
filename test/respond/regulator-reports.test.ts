import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Assessment,
  completeAssessment,
  type IncidentFacts,
} from '../../src/modules/respond/assessment.ts';
import type { FieldCategory } from '../../src/modules/respond/field-categories.ts';
import { addBusinessDays, obligations } from '../../src/modules/respond/notification-clocks.ts';
import {
  buildReport,
  missingFields,
  reportMarkdown,
  reportPdf,
} from '../../src/modules/respond/regulator-report.ts';
import { pdfText } from '../helpers/pdf-text.ts';

/*
 * Regulator reports hold every field the reference (notification-rules.md §6) lists for their
 * jurisdiction. The lists below are the reference's own words, copied into the test so that the rules
 * the product carries are checked against the source, not against themselves.
 */

const REFERENCE: Record<string, readonly string[]> = {
  // EU (GDPR)
  eu: [
    'Nature of the breach incl. categories and approximate number of data subjects',
    'Categories and approximate number of personal data records',
    'Name and contact details of DPO or other contact point',
    'Likely consequences',
    'Measures taken or proposed, incl. mitigation',
    'Reasons for delay if later than 72 hours',
  ],
  // United Kingdom (UK GDPR)
  uk: [
    'Nature of the breach',
    'Categories and approximate number of people and records affected',
    'Contact point (DPO)',
    'Likely consequences',
    'Remedial measures taken or to be taken',
    'Reasons for delay if later than 72 hours',
    'Reporter name, email, phone and contact person',
  ],
  // China (PIPL Art. 57)
  'cn-pipl': [
    'Categories of personal information involved',
    'Cause',
    'Possible harm',
    'Remedial measures taken by the processor',
    'Measures individuals can take to mitigate harm',
    'Processor contact information',
  ],
  // China (CAC National Cybersecurity Incident Reporting Measures, from 2025-11-01)
  'cn-cac': [
    'Entity name and basic information on affected facility/system/platform',
    'Time and place of discovery/occurrence, incident type and level',
    'Impact and harm caused',
    'Measures taken and their effect (ransomware: ransom amount, method, date)',
    'Development trend and possible further impact [verify]',
    'Preliminary cause analysis [verify]',
    'Investigation leads: attacker information, attack path, vulnerabilities [verify]',
    'Further measures planned and support needed [verify]',
    'Protection of the incident scene [verify]',
    'Other matters to report [verify]',
  ],
  // USA - California (Civ. Code 1798.82, SB 446 from 2026-01-01)
  'us-ca': ['Single sample copy of the consumer notice, excluding personal information (AG online form)'],
  // USA - New York (GBL 899-aa, SHIELD Act)
  'us-ny': [
    'Timing of the notices',
    'Content of the notices',
    'Distribution of the notices',
    'Approximate number of affected persons',
    'Copy of the template notice sent to affected persons',
  ],
  // USA - other states (all 50 states, DC, Guam, Puerto Rico, USVI have breach laws)
  'us-states': [],
  // Canada (PIPEDA)
  ca: [
    'Circumstances of the breach and cause if known',
    'Day or period of the breach (or approximate period)',
    'Personal information involved (to the extent known)',
    'Number of individuals affected (or approximate)',
    'Steps taken to reduce risk of harm or mitigate it',
    'Steps taken or intended to notify affected individuals',
    "Name and contact of a person who can answer the Commissioner's questions",
  ],
  // Australia (Privacy Act Part IIIC, NDB scheme)
  au: [
    'Identity and contact details of the entity',
    'Description of the eligible data breach',
    'Kind or kinds of information concerned',
    'Recommended steps for individuals',
    'Optional: identity and contact details of other entities involved',
  ],
  // Singapore (PDPA Part 6A)
  sg: [
    'Date and circumstances in which the organisation first became aware',
    'Chronological account of steps taken after becoming aware, incl. the notifiability assessment',
    'How the breach occurred',
    'Number of affected individuals',
    'Personal data or classes of personal data affected',
    'Potential harm to affected individuals',
    'Action taken or to be taken to mitigate harm and fix the cause [verify wording]',
    'Plan to inform affected individuals or the public [verify wording]',
    'Business contact information of at least one authorised representative',
    'Grounds for not notifying individuals, if not notifying',
  ],
  // Japan (APPI Art. 26)
  jp: [
    'Overview',
    'Items of personal data involved',
    'Number of principals concerned',
    'Cause',
    'Secondary damage or risk of it, and its nature',
    'Status of response to principals',
    'Status of public announcement',
    'Recurrence-prevention measures',
    'Other matters for reference',
  ],
  // South Korea (PIPA Art. 34)
  kr: [
    'Items of personal information leaked',
    'When and how the leak occurred',
    'How data subjects can minimise damage',
    "Controller's countermeasures and remedial procedures",
    'Department and contact point for reporting damage',
    'Legal rights and remedies information (2026 amendment) [verify]',
  ],
  // Brazil (LGPD Art. 48, ANPD Resolution 15/2024)
  br: [
    'Nature and category of personal data affected',
    'Number of data subjects affected (children, adolescents, elderly indicated)',
    'Technical and security measures before and after the incident',
    'Risks and possible impacts on data subjects',
    'Reasons for delay, if late',
    'Measures taken or to be taken to reverse or mitigate effects',
    'Date of the incident (if determinable) and date of knowledge',
    'DPO (encarregado) or representative details',
    'Controller identification (and small-agent declaration)',
    'Processor identification, where applicable',
    'Description of the incident incl. main cause if identifiable',
    'Total data subjects in the affected processing activities',
  ],
  // India (DPDP Act 2023 s. 8(6), DPDP Rules 2025 r. 7 — applies from about May 2027)
  'in-dpdp': [
    'Without delay: description of breach — nature, extent, timing, location, likely impact',
    'Updated and detailed information on that description',
    'Broad facts on events, circumstances and reasons leading to the breach',
    'Mitigation measures implemented or proposed',
    'Findings regarding the person who caused the breach',
    'Remedial measures to prevent recurrence',
    'Report on intimations given to affected Data Principals',
  ],
};

const AWARE = new Date('2026-11-27T09:00:00Z');
const NOW = new Date('2026-11-28T09:00:00Z');
const noProgress = () => ({
  reportSentAt: null,
  finalReportAt: null,
  individualsNotifiedAt: null,
  assessedAt: null,
});

/** Facts under which each jurisdiction's report is due: its residents, and what makes its rule apply. */
const CASES: Record<
  string,
  { country: string; categories?: FieldCategory[]; total?: number; now?: Date; people?: number }
> = {
  eu: { country: 'DE' },
  uk: { country: 'GB' },
  'cn-pipl': { country: 'CN' },
  'cn-cac': { country: 'CN', total: 1_200_000 },
  'us-ca': { country: 'US', categories: ['contact', 'credentials'] },
  'us-ny': { country: 'US', categories: ['contact', 'credentials'] },
  'us-states': { country: 'US' },
  ca: { country: 'CA' },
  au: { country: 'AU' },
  sg: { country: 'SG', people: 600 },
  jp: { country: 'JP' },
  kr: { country: 'KR' },
  br: { country: 'BR' },
  'in-dpdp': { country: 'IN', now: new Date('2027-06-01T00:00:00Z') },
};

function reportFor(id: string, options: { now?: Date; assessment?: Assessment } = {}) {
  const setup = CASES[id] as (typeof CASES)[string];
  const categories = new Set<FieldCategory>(setup.categories ?? ['contact', 'address', 'identity']);
  const people = setup.people ?? 40;
  const byField = { email: people, phone: people, line1: 12, fullName: people };
  const facts: IncidentFacts = {
    title: 'Support token used to read customers',
    awareAt: AWARE,
    from: new Date('2026-11-20T00:00:00Z'),
    to: NOW,
    people,
    byField,
    categories,
    principals: ['usr_0000000000000000000000000a'],
    networks: ['203.0.113.0/24'],
    containments: ['user.sessions_revoke on user usr_0000000000000000000000000a'],
    alerts: ['alt_0000000000000000000000000b'],
  };
  const list = obligations({
    awareAt: AWARE,
    now: options.now ?? setup.now ?? NOW,
    byCountry: { [setup.country]: people },
    totalPeople: setup.total ?? people,
    categories,
    unauthorizedAccess: true,
    progress: noProgress,
  });
  const obligation = list.find((o) => o.jurisdiction === id);
  if (!obligation) throw new Error(`no obligation for ${id}: ${list.map((o) => o.key).join(', ')}`);
  return buildReport({
    incidentId: 'inc_0000000000000000000000000c',
    severity: 'critical',
    obligation,
    assessment: completeAssessment(options.assessment ?? {}, facts),
    facts,
    chronology: [{ at: AWARE, text: 'opened: opened by alert exfiltration.budget_refused' }],
    privacy: {
      organisation: 'Bulwark Trading Ltd',
      email: 'privacy@bulwark.example',
      phone: '+44 20 7946 0000',
      officer: 'Data Protection Officer',
      regulatorAddresses: {},
    },
    noticeSample: 'Notice of Data Breach (Bulwark)\n\nWhat Happened …',
    notices: { people, approved: people, sent: 0, firstSentAt: null },
    totalSubjects: 12_000,
    generatedAt: NOW,
  });
}

// The PDF's built-in fonts spell these characters out.
const pdfSpelling = (text: string) => text.replace(/—|–/g, '-').replace(/≥/g, '>=').replace(/\s+/g, ' ');

describe('regulator reports: every field the reference lists, per jurisdiction', () => {
  for (const [id, expected] of Object.entries(REFERENCE)) {
    it(`${id}: ${expected.length} fields, answered in JSON, Markdown and PDF`, async () => {
      const report = reportFor(id);
      expect(report.requirement).not.toBe('not_required');
      expect(report.fields.map((f) => f.label)).toEqual(expect.arrayContaining([...expected]));
      for (const label of expected) {
        const value = report.fields.find((f) => f.label === label)?.value ?? '';
        expect(value.trim().length, `${id}: "${label}" is empty`).toBeGreaterThan(2);
      }
      const markdown = reportMarkdown(report);
      for (const label of expected) expect(markdown).toContain(`\n## ${label}\n\n`);
      if (expected.length === 0) return;
      const pdf = await reportPdf(report);
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      const { text } = await pdfText(pdf);
      for (const label of expected) expect(text).toContain(pdfSpelling(label));
      // Counts and the organisation's own contact point: never a customer's data.
      expect(JSON.stringify(report)).toContain('privacy@bulwark.example');
    });
  }

  it('a regulator whose 72 hours have passed needs the reason for the delay before the report is complete', () => {
    const late = new Date(AWARE.getTime() + 73 * 3600_000);
    const silent = reportFor('uk', { now: late });
    expect(silent.deadlines.find((d) => d.kind === 'regulator')?.status).toBe('overdue');
    expect(missingFields(silent)).toEqual(['Reasons for delay if later than 72 hours']);
    const explained = reportFor('uk', {
      now: late,
      assessment: { delayReason: 'The extent was only known after the trail review on day four.' },
    });
    expect(missingFields(explained)).toEqual([]);
    expect(explained.fields.find((f) => f.label.startsWith('Reasons for delay'))?.value).toContain(
      'day four',
    );
    expect(missingFields(reportFor('uk'))).toEqual([]);
  });
});

describe('notification clocks', () => {
  it('counts from awareness in the unit each law uses, and puts the tightest clock first', () => {
    const list = obligations({
      awareAt: new Date('2026-11-27T09:00:00Z'), // a Friday
      now: NOW,
      byCountry: { BR: 5, KR: 2, DE: 1, FR: 1, IN: 1, US: 3, CN: 4 },
      totalPeople: 17,
      categories: new Set(['contact']),
      unauthorizedAccess: true,
      progress: noProgress,
    });
    const deadline = (key: string, kind = 'regulator') =>
      list
        .find((o) => o.key === key)
        ?.clocks.find((c) => c.kind === kind)
        ?.deadline?.toISOString();
    expect(deadline('kr')).toBe('2026-11-30T09:00:00.000Z');
    expect(deadline('eu-DE')).toBe('2026-11-30T09:00:00.000Z');
    expect(deadline('eu-FR')).toBe('2026-11-30T09:00:00.000Z');
    expect(deadline('in-certin')).toBe('2026-11-27T15:00:00.000Z');
    // Three business days from a Friday: Monday, Tuesday, Wednesday.
    expect(deadline('br')).toBe('2026-12-02T09:00:00.000Z');
    // PIPL: immediately, due now; DPDP Rule 7 is not in force before May 2027.
    expect(list.find((o) => o.key === 'cn-pipl')?.clocks[0]?.status).toBe('due_now');
    expect(list.find((o) => o.key === 'in-dpdp')?.requirement).toBe('not_required');
    expect(list.find((o) => o.key === 'us-ca')?.requirement).toBe('not_required');
    expect(list.find((o) => o.key === 'cn-cac')?.requirement).toBe('not_required');
    // Required first, tightest first: CERT-In's 6 hours before PIPL "immediately" is impossible to rank
    // by hours, so "immediately" (due at awareness) leads.
    expect(list.slice(0, 2).map((o) => o.key)).toEqual(['cn-pipl', 'in-certin']);
    expect(list.at(-1)?.requirement).toBe('not_required');
  });

  it('a clock is done once its report went to the regulator and its residents were told', () => {
    const [kr] = obligations({
      awareAt: AWARE,
      now: new Date(AWARE.getTime() + 100 * 3600_000),
      byCountry: { KR: 2 },
      totalPeople: 2,
      categories: new Set(['contact']),
      unauthorizedAccess: true,
      progress: () => ({
        reportSentAt: NOW,
        finalReportAt: null,
        individualsNotifiedAt: NOW,
        assessedAt: null,
      }),
    });
    expect(kr?.clocks.map((c) => c.status)).toEqual(['done', 'done']);
  });

  it('orders any mix of countries required-first and by the earliest running deadline (property)', () => {
    const countries = ['DE', 'GB', 'CN', 'US', 'CA', 'AU', 'SG', 'JP', 'KR', 'BR', 'IN', 'ZZ'];
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...countries), fc.integer({ min: 1, max: 5_000 })),
        fc.integer({ min: 0, max: 400 }),
        (byCountry, hoursLater) => {
          const total = Object.values(byCountry).reduce((a, b) => a + b, 0);
          const list = obligations({
            awareAt: AWARE,
            now: new Date(AWARE.getTime() + hoursLater * 3600_000),
            byCountry,
            totalPeople: total,
            categories: new Set(['contact', 'address']),
            unauthorizedAccess: true,
            progress: noProgress,
          });
          const rank = { required: 0, assess: 1, not_required: 2 };
          const earliest = (o: (typeof list)[number]) =>
            Math.min(...o.clocks.map((c) => c.deadline?.getTime() ?? Number.POSITIVE_INFINITY));
          for (let i = 1; i < list.length; i += 1) {
            const a = list[i - 1] as (typeof list)[number];
            const b = list[i] as (typeof list)[number];
            expect(rank[a.requirement] <= rank[b.requirement]).toBe(true);
            if (a.requirement === b.requirement) expect(earliest(a) <= earliest(b)).toBe(true);
          }
          for (const o of list) {
            expect(o.people).toBe(o.countries.reduce((sum, c) => sum + (byCountry[c] ?? 0), 0));
            for (const clock of o.clocks) {
              if (clock.deadline && clock.status === 'overdue') {
                expect(clock.deadline.getTime()).toBeLessThan(AWARE.getTime() + hoursLater * 3600_000);
              }
            }
          }
        },
      ),
    );
  });

  it('business days skip weekends only (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }),
        fc.integer({ min: 1, max: 30 }),
        (from, days) => {
          const at = addBusinessDays(from, days);
          expect([0, 6]).not.toContain(at.getUTCDay());
          let weekdays = 0;
          for (let t = from.getTime() + 86_400_000; t <= at.getTime(); t += 86_400_000) {
            const day = new Date(t).getUTCDay();
            if (day !== 0 && day !== 6) weekdays += 1;
          }
          expect(weekdays).toBe(days);
        },
      ),
    );
  });
});
