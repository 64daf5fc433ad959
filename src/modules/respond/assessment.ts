import { categoryOf, type FieldCategory } from './field-categories.ts';

/**
 * What security staff know and decide about an incident, in their words: what every notice and report is
 * written from. Each text is optional; until staff write one, a factual default is built from the scope
 * and the timeline, so no report ever goes out with an empty field.
 */
export interface Assessment {
  readonly nature?: string;
  readonly cause?: string;
  readonly consequences?: string;
  readonly measures?: string;
  readonly plannedMeasures?: string;
  readonly individualSteps?: string;
  /** Required before approval once a regulator's deadline has passed (GDPR Art. 33(1), PDPA, LGPD). */
  readonly delayReason?: string;
  readonly publicAnnouncement?: string;
  /** An act against the business (an attack, an insider): true unless staff find it was an accident. */
  readonly unauthorizedAccess?: boolean;
  /** Notices were held back at the request of law enforcement (California asks). */
  readonly lawEnforcementDelay?: boolean;
}

export const ASSESSMENT_TEXT_FIELDS = [
  'nature',
  'cause',
  'consequences',
  'measures',
  'plannedMeasures',
  'individualSteps',
  'delayReason',
  'publicAnnouncement',
] as const;

/** The facts the defaults are written from: counts, kinds of data, actions on the timeline. */
export interface IncidentFacts {
  readonly title: string;
  readonly awareAt: Date;
  readonly from: Date | null;
  readonly to: Date | null;
  readonly people: number;
  readonly byField: Readonly<Record<string, number>>;
  readonly categories: ReadonlySet<FieldCategory>;
  readonly principals: readonly string[];
  readonly networks: readonly string[];
  readonly containments: readonly string[];
  readonly alerts: readonly string[];
}

/** Likely consequences of each kind of data reaching the wrong hands, in the words reports use. */
const CONSEQUENCES: Readonly<Partial<Record<FieldCategory, string>>> = {
  identity: 'names can be used to make phishing and fraud messages convincing',
  contact: 'e-mail addresses and phone numbers can receive phishing, spam and scam calls',
  address: 'home and delivery addresses expose people to unwanted visits, parcel fraud and stalking',
  network: 'IP addresses reveal approximate locations and can be used to target people',
  order_content: 'order notes and options reveal purchases and preferences',
  credentials: 'credentials allow accounts to be taken over',
  financial: 'financial data allows fraud and theft',
  government_id: 'identity-document numbers allow identity theft',
};

const STEPS =
  'Change your Bulwark password and the password of any account that uses the same one; turn on two-step sign-in; treat unexpected messages, calls or parcels that mention your orders with suspicion — genuine Bulwark e-mails show your anti-phishing phrase; report anything suspicious to us.';

export function describeCategories(categories: ReadonlySet<FieldCategory>): string {
  return [...categories].sort().join(', ') || 'none';
}

export function categoriesOf(byField: Readonly<Record<string, number>>): Set<FieldCategory> {
  return new Set(Object.keys(byField).map(categoryOf));
}

/** Reports count principals rather than name them: in a credential-stuffing incident they are the victims. */
export const countOf = (items: readonly unknown[], one: string, many: string) =>
  `${items.length} ${items.length === 1 ? one : many}`;

const day = (at: Date | null) => (at ? at.toISOString().slice(0, 10) : 'unknown');

/** The assessment with every text filled: the staff's words where they wrote them, defaults elsewhere. */
export function completeAssessment(
  assessment: Assessment,
  facts: IncidentFacts,
): Required<Omit<Assessment, 'delayReason'>> & { delayReason: string | null } {
  const kinds = describeCategories(facts.categories);
  const fields = Object.entries(facts.byField)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, count]) => `${name} (${count})`)
    .join(', ');
  const consequences = [...facts.categories]
    .map((category) => CONSEQUENCES[category])
    .filter((text): text is string => text !== undefined);
  return {
    nature:
      assessment.nature ??
      `${facts.title}. Personal data of ${facts.people} people (${kinds}; fields: ${fields || 'none'}) was shown to ${facts.principals.length} principal(s) without a legitimate purpose between ${day(facts.from)} and ${day(facts.to)}.`,
    cause:
      assessment.cause ??
      `Under investigation. Detected by ${facts.alerts.length} alert(s); ${countOf(facts.principals, 'account or key', 'accounts or keys')} used to read the data.`,
    consequences:
      assessment.consequences ??
      (consequences.length > 0 ? `${consequences.join('; ')}.` : 'No likely consequence identified yet.'),
    measures:
      assessment.measures ??
      (facts.containments.length > 0
        ? `Contained automatically on detection: ${facts.containments.join('; ')}. Every read was traced in the tamper-evident audit trail to compute exactly who was affected.`
        : 'Access under review; every read was traced in the tamper-evident audit trail to compute exactly who was affected.'),
    plannedMeasures:
      assessment.plannedMeasures ??
      'Review of the access rules and read budgets of the role involved; a drill replaying this attack to confirm it is stopped.',
    individualSteps: assessment.individualSteps ?? STEPS,
    delayReason: assessment.delayReason ?? null,
    publicAnnouncement: assessment.publicAnnouncement ?? 'No public announcement has been made.',
    unauthorizedAccess: assessment.unauthorizedAccess ?? true,
    lawEnforcementDelay: assessment.lawEnforcementDelay ?? false,
  };
}

export type CompleteAssessment = ReturnType<typeof completeAssessment>;
