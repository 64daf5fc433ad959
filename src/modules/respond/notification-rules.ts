/**
 * Who must be told of a personal-data breach, by when, above which threshold, and what the report must
 * hold: the reference `notification-rules.md` (§1, §2, §6) as data. Field labels are the reference's own
 * words, so a report can be checked against it line by line. Not legal advice: a person approves every
 * notice, and counsel confirms the rules before production use (the reference marks unverified items).
 */
import type { FieldCategory } from './field-categories.ts';

/** When something is due, counted from the moment of awareness unless said otherwise. */
export type Due =
  | { readonly kind: 'hours'; readonly hours: number }
  | { readonly kind: 'calendar_days'; readonly days: number }
  /** Monday to Friday; national holidays are not skipped, so the deadline shown is never later than the law's. */
  | { readonly kind: 'business_days'; readonly days: number }
  | { readonly kind: 'immediately' }
  /** "Without undue delay", "as soon as practicable/feasible": no fixed count. */
  | { readonly kind: 'no_fixed_time'; readonly words: string }
  /** Sent together with the notices to individuals (New York's regulators). */
  | { readonly kind: 'with_individual_notices' }
  /** A fixed time after the individuals were told (California's Attorney General). */
  | { readonly kind: 'after_individual_notices'; readonly days: number };

export type ClockKind = 'regulator' | 'regulator_final' | 'individuals' | 'assessment';

export interface ClockRule {
  readonly kind: ClockKind;
  readonly due: Due;
  readonly text: string;
}

/** What a rule needs to know to say whether it applies. */
export interface BreachFacts {
  /** People affected who live in the rule's countries, and in all. */
  readonly people: number;
  readonly totalPeople: number;
  readonly categories: ReadonlySet<FieldCategory>;
  /** Taken by an act against the business (an attack, an insider): true unless staff say otherwise. */
  readonly unauthorizedAccess: boolean;
  readonly now: Date;
}

export type Requirement = 'required' | 'assess' | 'not_required';
export interface Verdict {
  readonly requirement: Requirement;
  readonly reason: string;
}

export interface JurisdictionRule {
  readonly id: JurisdictionId;
  readonly name: string;
  readonly regulator: string;
  /** ISO 3166-1 alpha-2 codes of the people this rule protects (by where they live). */
  readonly countries: readonly string[];
  /** One regulator per country (GDPR for a controller without an EU establishment) or one for all. */
  readonly perCountry: boolean;
  /** Whether the rule concerns the whole breach (an operator's reporting duty) rather than its residents. */
  readonly operatorWide?: (facts: BreachFacts) => boolean;
  readonly clocks: readonly ClockRule[];
  readonly applies: (facts: BreachFacts) => Verdict;
  /** The reference's list of what the regulator's report must contain, word for word. */
  readonly regulatorFields: readonly ReportFieldRule[];
  readonly source: string;
}

export type JurisdictionId =
  | 'eu'
  | 'uk'
  | 'cn-pipl'
  | 'cn-cac'
  | 'us-ca'
  | 'us-ny'
  | 'us-states'
  | 'ca'
  | 'au'
  | 'sg'
  | 'jp'
  | 'kr'
  | 'br'
  | 'in-dpdp'
  | 'in-certin';

/** Where each report field's content comes from (see regulator-report.ts). */
export type ReportSource =
  | 'nature'
  | 'categories'
  | 'people'
  | 'records'
  | 'contact'
  | 'consequences'
  | 'measures'
  | 'delay'
  | 'reporter'
  | 'cause'
  | 'individualSteps'
  | 'entity'
  | 'discovery'
  | 'trend'
  | 'leads'
  | 'plannedMeasures'
  | 'scene'
  | 'other'
  | 'noticeSample'
  | 'noticeTiming'
  | 'noticeDistribution'
  | 'period'
  | 'notifyingIndividuals'
  | 'awareness'
  | 'chronology'
  | 'plan'
  | 'noNoticeGrounds'
  | 'overview'
  | 'secondaryDamage'
  | 'principalsResponse'
  | 'publicAnnouncement'
  | 'when'
  | 'legalRights'
  | 'securityMeasures'
  | 'dates'
  | 'controller'
  | 'processor'
  | 'totalSubjects'
  | 'otherEntities'
  | 'findings'
  | 'intimations';

export interface ReportFieldRule {
  readonly label: string;
  readonly from: ReportSource;
}

const field = (label: string, from: ReportSource): ReportFieldRule => ({ label, from });

/** EU and EEA states: GDPR applies to people who live there. */
export const EEA = [
  'AT',
  'BE',
  'BG',
  'HR',
  'CY',
  'CZ',
  'DK',
  'EE',
  'FI',
  'FR',
  'DE',
  'GR',
  'HU',
  'IE',
  'IT',
  'LV',
  'LT',
  'LU',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SK',
  'SI',
  'ES',
  'SE',
  'IS',
  'LI',
  'NO',
] as const;

/** Data whose exposure the US state laws, Singapore and Japan treat as harmful in itself. */
const STATUTORY: readonly FieldCategory[] = ['credentials', 'financial', 'government_id'];
const hasStatutory = (facts: BreachFacts) => STATUTORY.some((c) => facts.categories.has(c));
const listed = (facts: BreachFacts) => [...facts.categories].sort().join(', ') || 'none';

const required = (reason: string): Verdict => ({ requirement: 'required', reason });
const assess = (reason: string): Verdict => ({ requirement: 'assess', reason });
const notRequired = (reason: string): Verdict => ({ requirement: 'not_required', reason });

const GDPR_FIELDS = [
  field('Nature of the breach incl. categories and approximate number of data subjects', 'nature'),
  field('Categories and approximate number of personal data records', 'records'),
  field('Name and contact details of DPO or other contact point', 'contact'),
  field('Likely consequences', 'consequences'),
  field('Measures taken or proposed, incl. mitigation', 'measures'),
  field('Reasons for delay if later than 72 hours', 'delay'),
];

/** Regulators per jurisdiction, in the reference's order. */
export const JURISDICTIONS: readonly JurisdictionRule[] = [
  {
    id: 'eu',
    name: 'EU (GDPR)',
    regulator: 'Data protection supervisory authority',
    countries: EEA,
    // Without an EU establishment there is no lead authority: each affected Member State's (EDPB 9/2022).
    perCountry: true,
    clocks: [
      { kind: 'regulator', due: { kind: 'hours', hours: 72 }, text: 'Art. 33: within 72 hours of awareness' },
      {
        kind: 'individuals',
        due: { kind: 'no_fixed_time', words: 'without undue delay' },
        text: 'Art. 34: without undue delay when likely to result in a high risk',
      },
    ],
    applies: (facts) =>
      required(
        `Art. 33: every breach unless unlikely to result in a risk; ${facts.people} people's ${listed(facts)} data reached an unauthorised person`,
      ),
    regulatorFields: GDPR_FIELDS,
    source: 'https://eur-lex.europa.eu/eli/reg/2016/679/oj',
  },
  {
    id: 'uk',
    name: 'United Kingdom (UK GDPR)',
    regulator: "Information Commissioner's Office (ICO)",
    countries: ['GB'],
    perCountry: false,
    clocks: [
      { kind: 'regulator', due: { kind: 'hours', hours: 72 }, text: 'Art. 33: within 72 hours of awareness' },
      {
        kind: 'individuals',
        due: { kind: 'no_fixed_time', words: 'without undue delay' },
        text: 'Art. 34: without undue delay when likely to result in a high risk',
      },
    ],
    applies: (facts) =>
      required(
        `Art. 33: a risk to rights and freedoms is not unlikely (${listed(facts)} data of ${facts.people} people)`,
      ),
    regulatorFields: [
      field('Nature of the breach', 'nature'),
      field('Categories and approximate number of people and records affected', 'records'),
      field('Contact point (DPO)', 'contact'),
      field('Likely consequences', 'consequences'),
      field('Remedial measures taken or to be taken', 'measures'),
      field('Reasons for delay if later than 72 hours', 'delay'),
      field('Reporter name, email, phone and contact person', 'reporter'),
    ],
    source: 'https://www.legislation.gov.uk/eur/2016/679/article/33',
  },
  {
    id: 'cn-pipl',
    name: 'China (PIPL Art. 57)',
    regulator: 'Departments performing personal information protection duties (CAC and sector regulators)',
    countries: ['CN'],
    perCountry: false,
    clocks: [
      { kind: 'regulator', due: { kind: 'immediately' }, text: 'Art. 57: immediately (立即)' },
      { kind: 'individuals', due: { kind: 'immediately' }, text: 'Art. 57: immediately' },
    ],
    applies: () => required('Art. 57: any leak, tampering or loss that has occurred or may occur'),
    regulatorFields: [
      field('Categories of personal information involved', 'categories'),
      field('Cause', 'cause'),
      field('Possible harm', 'consequences'),
      field('Remedial measures taken by the processor', 'measures'),
      field('Measures individuals can take to mitigate harm', 'individualSteps'),
      field('Processor contact information', 'contact'),
    ],
    source: 'http://www.npc.gov.cn/npc/c2/c30834/202108/t20210820_313088.html',
  },
  {
    id: 'cn-cac',
    name: 'China (CAC National Cybersecurity Incident Reporting Measures, from 2025-11-01)',
    regulator: 'Provincial CAC office',
    countries: ['CN'],
    perCountry: false,
    // A reporting duty of the operator, counted over everyone whose data leaked.
    operatorWide: (facts) => facts.totalPeople >= 1_000_000,
    clocks: [
      {
        kind: 'regulator',
        due: { kind: 'hours', hours: 4 },
        text: 'Within 4 hours of discovery (ordinary operators); summary within 30 days after handling ends',
      },
    ],
    applies: (facts) =>
      facts.totalPeople >= 1_000_000
        ? required(
            `A "relatively major" incident or above: ${facts.totalPeople} people's data leaked (≥ 1,000,000)`,
          )
        : notRequired(`${facts.totalPeople} people is below the 1,000,000 of a "relatively major" incident`),
    regulatorFields: [
      field('Entity name and basic information on affected facility/system/platform', 'entity'),
      field('Time and place of discovery/occurrence, incident type and level', 'discovery'),
      field('Impact and harm caused', 'consequences'),
      field('Measures taken and their effect (ransomware: ransom amount, method, date)', 'measures'),
      field('Development trend and possible further impact [verify]', 'trend'),
      field('Preliminary cause analysis [verify]', 'cause'),
      field('Investigation leads: attacker information, attack path, vulnerabilities [verify]', 'leads'),
      field('Further measures planned and support needed [verify]', 'plannedMeasures'),
      field('Protection of the incident scene [verify]', 'scene'),
      field('Other matters to report [verify]', 'other'),
    ],
    source: 'https://www.cac.gov.cn/2025-09/15/c_1759583017717009.htm',
  },
  {
    id: 'us-ca',
    name: 'USA - California (Civ. Code 1798.82, SB 446 from 2026-01-01)',
    regulator: 'California Attorney General',
    countries: ['US'],
    perCountry: false,
    clocks: [
      {
        kind: 'individuals',
        due: { kind: 'calendar_days', days: 30 },
        text: 'Within 30 calendar days of discovery',
      },
      {
        kind: 'regulator',
        due: { kind: 'after_individual_notices', days: 15 },
        text: 'Sample notice within 15 calendar days after notifying consumers (if > 500 California residents)',
      },
    ],
    applies: (facts) =>
      hasStatutory(facts)
        ? assess(
            `Statutory personal information exposed (${listed(facts)}); the Attorney General is told if more than 500 of the ${facts.people} US residents live in California`,
          )
        : notRequired(
            `Only ${listed(facts)} data: name, e-mail, phone, address and orders alone are not "personal information" under § 1798.82`,
          ),
    regulatorFields: [
      field(
        'Single sample copy of the consumer notice, excluding personal information (AG online form)',
        'noticeSample',
      ),
    ],
    source:
      'https://leginfo.legislature.ca.gov/faces/codes_displaySection.xhtml?sectionNum=1798.82.&lawCode=CIV',
  },
  {
    id: 'us-ny',
    name: 'USA - New York (GBL 899-aa, SHIELD Act)',
    regulator: 'Attorney General, Department of State and Division of State Police',
    countries: ['US'],
    perCountry: false,
    clocks: [
      {
        kind: 'individuals',
        due: { kind: 'calendar_days', days: 30 },
        text: 'Within 30 days after discovery',
      },
      { kind: 'regulator', due: { kind: 'with_individual_notices' }, text: 'When residents are notified' },
    ],
    applies: (facts) =>
      hasStatutory(facts)
        ? assess(
            `Private information exposed (${listed(facts)}); applies to the New York residents among ${facts.people}`,
          )
        : notRequired(`Only ${listed(facts)} data: not "private information" under § 899-aa`),
    regulatorFields: [
      field('Timing of the notices', 'noticeTiming'),
      field('Content of the notices', 'noticeSample'),
      field('Distribution of the notices', 'noticeDistribution'),
      field('Approximate number of affected persons', 'people'),
      field('Copy of the template notice sent to affected persons', 'noticeSample'),
    ],
    source: 'https://www.nysenate.gov/legislation/laws/GBS/899-AA',
  },
  {
    id: 'us-states',
    name: 'USA - other states',
    regulator: "Each affected resident's state (often the Attorney General above a resident count)",
    countries: ['US'],
    perCountry: false,
    clocks: [
      {
        kind: 'individuals',
        due: { kind: 'no_fixed_time', words: 'without unreasonable delay (several states 30-60 days)' },
        text: 'Varies by state of residence',
      },
    ],
    applies: (facts) =>
      assess(`${facts.people} US residents: each state's law applies by residence; check per state [verify]`),
    regulatorFields: [],
    source: 'https://www.ncsl.org/technology-and-communication/security-breach-notification-laws',
  },
  {
    id: 'ca',
    name: 'Canada (PIPEDA)',
    regulator: 'Office of the Privacy Commissioner of Canada',
    countries: ['CA'],
    perCountry: false,
    clocks: [
      {
        kind: 'regulator',
        due: { kind: 'no_fixed_time', words: 'as soon as feasible' },
        text: 's. 10.1: as soon as feasible after determining the breach occurred',
      },
      {
        kind: 'individuals',
        due: { kind: 'no_fixed_time', words: 'as soon as feasible' },
        text: 's. 10.1(3)',
      },
    ],
    applies: (facts) =>
      assess(
        `Real risk of significant harm to be assessed (${listed(facts)} data of ${facts.people} people); record the breach for 24 months either way`,
      ),
    regulatorFields: [
      field('Circumstances of the breach and cause if known', 'nature'),
      field('Day or period of the breach (or approximate period)', 'period'),
      field('Personal information involved (to the extent known)', 'categories'),
      field('Number of individuals affected (or approximate)', 'people'),
      field('Steps taken to reduce risk of harm or mitigate it', 'measures'),
      field('Steps taken or intended to notify affected individuals', 'notifyingIndividuals'),
      field("Name and contact of a person who can answer the Commissioner's questions", 'contact'),
    ],
    source:
      'https://www.priv.gc.ca/en/privacy-topics/privacy-breaches/respond-to-a-privacy-breach-at-your-business/gd_pb_201810/',
  },
  {
    id: 'au',
    name: 'Australia (Privacy Act Part IIIC, NDB scheme)',
    regulator: 'Office of the Australian Information Commissioner',
    countries: ['AU'],
    perCountry: false,
    clocks: [
      {
        kind: 'assessment',
        due: { kind: 'calendar_days', days: 30 },
        text: 's. 26WH: assess a suspected breach within 30 days',
      },
      {
        kind: 'regulator',
        due: { kind: 'no_fixed_time', words: 'as soon as practicable' },
        text: 's. 26WK: as soon as practicable after reasonable grounds to believe',
      },
    ],
    applies: (facts) =>
      assess(`Serious harm to be assessed (${listed(facts)} data of ${facts.people} people)`),
    regulatorFields: [
      field('Identity and contact details of the entity', 'contact'),
      field('Description of the eligible data breach', 'nature'),
      field('Kind or kinds of information concerned', 'categories'),
      field('Recommended steps for individuals', 'individualSteps'),
      field('Optional: identity and contact details of other entities involved', 'otherEntities'),
    ],
    source: 'https://www.oaic.gov.au/privacy/notifiable-data-breaches',
  },
  {
    id: 'sg',
    name: 'Singapore (PDPA Part 6A)',
    regulator: 'Personal Data Protection Commission',
    countries: ['SG'],
    perCountry: false,
    clocks: [
      {
        kind: 'regulator',
        // Counted from awareness, the earliest the assessment can be made: never later than the law's.
        due: { kind: 'calendar_days', days: 3 },
        text: 's. 26D: within 3 calendar days of assessing it notifiable (counted here from awareness)',
      },
      { kind: 'assessment', due: { kind: 'calendar_days', days: 30 }, text: 'PDPC: assess within 30 days' },
    ],
    applies: (facts) => {
      if (facts.people >= 500) return required(`Significant scale: ${facts.people} people (≥ 500)`);
      if (hasStatutory(facts)) return required(`Significant harm: prescribed data (${listed(facts)})`);
      return notRequired(`${facts.people} people (< 500) and no prescribed data`);
    },
    regulatorFields: [
      field('Date and circumstances in which the organisation first became aware', 'awareness'),
      field(
        'Chronological account of steps taken after becoming aware, incl. the notifiability assessment',
        'chronology',
      ),
      field('How the breach occurred', 'cause'),
      field('Number of affected individuals', 'people'),
      field('Personal data or classes of personal data affected', 'categories'),
      field('Potential harm to affected individuals', 'consequences'),
      field('Action taken or to be taken to mitigate harm and fix the cause [verify wording]', 'measures'),
      field('Plan to inform affected individuals or the public [verify wording]', 'plan'),
      field('Business contact information of at least one authorised representative', 'contact'),
      field('Grounds for not notifying individuals, if not notifying', 'noNoticeGrounds'),
    ],
    source: 'https://sso.agc.gov.sg/Act/PDPA2012?ProvIds=P16A-',
  },
  {
    id: 'jp',
    name: 'Japan (APPI Art. 26)',
    regulator: 'Personal Information Protection Commission',
    countries: ['JP'],
    perCountry: false,
    clocks: [
      {
        kind: 'regulator',
        due: { kind: 'calendar_days', days: 3 },
        text: 'Preliminary report promptly (PPC guideline: about 3-5 days; the earliest is shown)',
      },
      {
        kind: 'regulator_final',
        // 60 days for wrongful-purpose incidents; the shorter period is shown so it is never missed.
        due: { kind: 'calendar_days', days: 30 },
        text: 'Final report within 30 days of learning (60 for wrongful-purpose incidents; 30 shown)',
      },
      {
        kind: 'individuals',
        due: { kind: 'no_fixed_time', words: 'promptly' },
        text: 'Promptly according to the situation',
      },
    ],
    applies: (facts) => {
      if (facts.unauthorizedAccess)
        return required('Rule 7(3): an act with a wrongful purpose (any number of people)');
      if (facts.people > 1_000) return required(`Rule 7(4): ${facts.people} people (> 1,000)`);
      if (hasStatutory(facts)) return required(`Rule 7(2): data whose misuse may cause property damage`);
      return assess(`${facts.people} people, no wrongful purpose recorded: check Rule 7(1)-(4)`);
    },
    regulatorFields: [
      field('Overview', 'overview'),
      field('Items of personal data involved', 'categories'),
      field('Number of principals concerned', 'people'),
      field('Cause', 'cause'),
      field('Secondary damage or risk of it, and its nature', 'secondaryDamage'),
      field('Status of response to principals', 'principalsResponse'),
      field('Status of public announcement', 'publicAnnouncement'),
      field('Recurrence-prevention measures', 'plannedMeasures'),
      field('Other matters for reference', 'other'),
    ],
    source: 'https://laws.e-gov.go.jp/law/428M60020000003',
  },
  {
    id: 'kr',
    name: 'South Korea (PIPA Art. 34)',
    regulator: 'Personal Information Protection Commission or KISA',
    countries: ['KR'],
    perCountry: false,
    clocks: [
      {
        kind: 'regulator',
        due: { kind: 'hours', hours: 72 },
        text: 'Decree Art. 40: within 72 hours of awareness',
      },
      {
        kind: 'individuals',
        due: { kind: 'hours', hours: 72 },
        text: 'Decree Art. 39: within 72 hours of awareness',
      },
    ],
    applies: (facts) => {
      if (facts.people >= 1_000) return required(`${facts.people} data subjects (≥ 1,000)`);
      if (hasStatutory(facts))
        return required(`Sensitive or unique identifying information (${listed(facts)})`);
      if (facts.unauthorizedAccess) return required('A leak through unlawful access (any number)');
      return notRequired(`${facts.people} data subjects, no unlawful external access: individuals only`);
    },
    regulatorFields: [
      field('Items of personal information leaked', 'categories'),
      field('When and how the leak occurred', 'when'),
      field('How data subjects can minimise damage', 'individualSteps'),
      field("Controller's countermeasures and remedial procedures", 'measures'),
      field('Department and contact point for reporting damage', 'contact'),
      field('Legal rights and remedies information (2026 amendment) [verify]', 'legalRights'),
    ],
    source: 'https://www.law.go.kr/LSW/lsInfoP.do?lsId=011357',
  },
  {
    id: 'br',
    name: 'Brazil (LGPD Art. 48, ANPD Resolution 15/2024)',
    regulator: 'Autoridade Nacional de Proteção de Dados (ANPD)',
    countries: ['BR'],
    perCountry: false,
    clocks: [
      {
        kind: 'regulator',
        due: { kind: 'business_days', days: 3 },
        text: 'Res. 15 Art. 6: 3 business days from knowledge (holidays not skipped here)',
      },
      {
        kind: 'individuals',
        due: { kind: 'business_days', days: 3 },
        text: 'Res. 15 Art. 9: 3 business days from knowledge',
      },
    ],
    applies: (facts) =>
      hasStatutory(facts)
        ? required(`Risk or relevant damage with ${listed(facts)} data`)
        : assess(
            `Risk or relevant damage to be assessed: ${listed(facts)} data of ${facts.people} people (large scale?)`,
          ),
    regulatorFields: [
      field('Nature and category of personal data affected', 'categories'),
      field('Number of data subjects affected (children, adolescents, elderly indicated)', 'people'),
      field('Technical and security measures before and after the incident', 'securityMeasures'),
      field('Risks and possible impacts on data subjects', 'consequences'),
      field('Reasons for delay, if late', 'delay'),
      field('Measures taken or to be taken to reverse or mitigate effects', 'measures'),
      field('Date of the incident (if determinable) and date of knowledge', 'dates'),
      field('DPO (encarregado) or representative details', 'contact'),
      field('Controller identification (and small-agent declaration)', 'controller'),
      field('Processor identification, where applicable', 'processor'),
      field('Description of the incident incl. main cause if identifiable', 'nature'),
      field('Total data subjects in the affected processing activities', 'totalSubjects'),
    ],
    source: 'https://www.in.gov.br/en/web/dou/-/resolucao-cd/anpd-n-15-de-24-de-abril-de-2024-556243024',
  },
  {
    id: 'in-dpdp',
    name: 'India (DPDP Act 2023 s. 8(6), DPDP Rules 2025 r. 7)',
    regulator: 'Data Protection Board of India',
    countries: ['IN'],
    perCountry: false,
    clocks: [
      {
        kind: 'regulator',
        due: { kind: 'hours', hours: 72 },
        text: 'r. 7(2): initial intimation without delay, detailed report within 72 hours',
      },
      {
        kind: 'individuals',
        due: { kind: 'no_fixed_time', words: 'without delay' },
        text: 'r. 7(1): without delay',
      },
    ],
    applies: (facts) =>
      facts.now.getTime() >= DPDP_RULE_7_FROM.getTime()
        ? required('s. 8(6): any personal data breach')
        : notRequired(
            'Rule 7 applies from about 13 May 2027 [verify exact date]; tell the Board voluntarily',
          ),
    regulatorFields: [
      field(
        'Without delay: description of breach — nature, extent, timing, location, likely impact',
        'nature',
      ),
      field('Updated and detailed information on that description', 'records'),
      field('Broad facts on events, circumstances and reasons leading to the breach', 'cause'),
      field('Mitigation measures implemented or proposed', 'measures'),
      field('Findings regarding the person who caused the breach', 'findings'),
      field('Remedial measures to prevent recurrence', 'plannedMeasures'),
      field('Report on intimations given to affected Data Principals', 'intimations'),
    ],
    source: 'https://dpdpa.co.in/rule-7',
  },
  {
    id: 'in-certin',
    name: 'India (CERT-In Directions of 28 Apr 2022) [verify]',
    regulator: 'CERT-In',
    countries: ['IN'],
    perCountry: false,
    clocks: [
      {
        kind: 'regulator',
        due: { kind: 'hours', hours: 6 },
        text: 'Within 6 hours of noticing the incident',
      },
    ],
    applies: () => required('Data breaches and data leaks are reportable cyber incidents'),
    // The reference lists no fields for CERT-In; the report carries the common description.
    regulatorFields: [field('Description of the incident', 'nature'), field('Contact', 'contact')],
    source:
      'https://www.argus-p.com/papers-publications/thought-paper/cert-ins-six-hour-reporting-rule-for-cyber-security-incidents-statutory-interpretation-and-analysis/',
  },
];

/** DPDP Rules 2025 r. 7 applies 18 months after 13 Nov 2025 (sources give 12 to 14 May 2027: the earliest). */
const DPDP_RULE_7_FROM = new Date('2027-05-12T00:00:00Z');

export function jurisdiction(id: string): JurisdictionRule | undefined {
  return JURISDICTIONS.find((rule) => rule.id === id);
}
