import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MailCatcher, startMailCatcher } from '../helpers/mail-catcher.ts';
import { pdfText } from '../helpers/pdf-text.ts';
import {
  createTestApp,
  expectProblem,
  type Shopper,
  type StaffMember,
  signUp,
  staffMember,
  type TestApp,
} from '../helpers/test-app.ts';

/*
 * Breach response end to end, through HTTP: a stolen support token reads customers → an incident opens by
 * itself → its scope is exactly the customers and fields read → notices are drafted for exactly those
 * people and for the regulators of their countries, with the right deadlines → a second security person
 * approves → the e-mails arrive at a real SMTP server on 127.0.0.1 and are parsed back and checked.
 */

const REASON = 'the customer called about a missing parcel';
const HOUR = 3600_000;

interface Obligation {
  key: string;
  requirement: string;
  people: number;
  clocks: { kind: string; deadline: string | null; status: string }[];
}

describe('breach notices, end to end', () => {
  let test: TestApp;
  let mail: MailCatcher;
  let drafter: StaffMember;
  let approver: StaffMember;
  let customers: { shopper: Shopper; country: string; language: string }[];
  let incidentId: string;
  let batch: string;

  beforeAll(async () => {
    mail = await startMailCatcher();
    test = await createTestApp({
      BULWARK_SMTP_URL: mail.url,
      BULWARK_WATCH_CONTAIN: 'true',
      BULWARK_PII_BUDGET_SUPPORT: '3/20',
      BULWARK_PRIVACY_ORGANISATION: 'Bulwark Trading Ltd',
      BULWARK_PRIVACY_EMAIL: 'privacy@bulwark.example',
      BULWARK_PRIVACY_OFFICER: 'Data Protection Officer',
      BULWARK_REGULATOR_ADDRESSES: 'kr=report@pipc.example',
    });
    test.container.notify.startDelivery({ backoffBaseMs: 200 });
    drafter = await staffMember(test, 'security');
    approver = await staffMember(test, 'security');
    // Read in this order; the support budget (3 people) stops the token at the fourth.
    const people: [string, string][] = [
      ['DE', 'de'],
      ['KR', 'ko'],
      ['BR', 'pt-BR'],
      ['GB', 'en'],
      ['JP', 'ja'],
    ];
    customers = [];
    for (const [country, language] of people) {
      const phone = { DE: '+4915112345678', KR: '+821012345678', BR: '+5511912345678' }[country];
      customers.push({
        shopper: await signUp(test, { country, language, ...(phone ? { phone } : {}) }),
        country,
        language,
      });
    }
    const korean = customers[1]?.shopper as Shopper;
    const phrase = await korean.client.put('/v1/me/anti-phishing', { phrase: 'blue heron at dawn' });
    expect(phrase.statusCode, phrase.body).toBe(204);
  });
  afterAll(async () => {
    await test?.close();
    await mail?.close();
  });

  const settled = async () => {
    await test.container.watch.settled();
    await test.container.respond.settled();
  };

  it('a stolen support token opens an incident whose scope is exactly the people and fields it read', async () => {
    const support = await staffMember(test, 'support');
    for (const { shopper } of customers) {
      const answer = await support.client.post(`/v1/staff/customers/${shopper.userId}/reveal`, {
        fields: ['email', 'phone'],
        reason: REASON,
      });
      if (answer.statusCode === 401) break;
    }
    await settled();
    const list = (await drafter.client.get('/v1/security/incidents')).json().items as {
      id: string;
      principals: string[];
    }[];
    const incident = list.find((i) => i.principals.includes(support.userId));
    expect(incident).toBeDefined();
    incidentId = incident?.id as string;
    const detail = (await drafter.client.get(`/v1/security/incidents/${incidentId}`)).json();
    expect(detail.scope).toMatchObject({
      people: 3,
      byField: { email: 3, phone: 3 },
      byCategory: { contact: 3 },
      byCountry: { DE: 1, KR: 1, BR: 1 },
    });
  });

  it('shows, per regulator of their countries, whether to notify and by when, tightest first', async () => {
    const detail = (await drafter.client.get(`/v1/security/incidents/${incidentId}`)).json();
    const aware = new Date(detail.awareAt as string).getTime();
    const answer = await drafter.client.get(`/v1/security/incidents/${incidentId}/obligations`);
    expect(answer.statusCode, answer.body).toBe(200);
    const items = answer.json().items as Obligation[];
    // The incident page carries the same list.
    expect(detail.obligations).toEqual(answer.json().items);
    expect(items.map((o) => o.key).sort()).toEqual(['br', 'eu-DE', 'kr']);
    const byKey = new Map(items.map((o) => [o.key, o]));
    const regulatorDeadline = (key: string) =>
      new Date(byKey.get(key)?.clocks.find((c) => c.kind === 'regulator')?.deadline as string).getTime();
    expect(byKey.get('eu-DE')).toMatchObject({ requirement: 'required', people: 1 });
    expect(regulatorDeadline('eu-DE')).toBe(aware + 72 * HOUR);
    // Korea: a leak through unlawful access is reportable at any size, in 72 hours; people too.
    expect(byKey.get('kr')).toMatchObject({ requirement: 'required', people: 1 });
    expect(regulatorDeadline('kr')).toBe(aware + 72 * HOUR);
    expect(
      new Date(byKey.get('kr')?.clocks.find((c) => c.kind === 'individuals')?.deadline as string).getTime(),
    ).toBe(aware + 72 * HOUR);
    // Brazil: risk-based for contact data alone, three business days (never fewer than 72 hours).
    expect(byKey.get('br')).toMatchObject({ requirement: 'assess' });
    expect(regulatorDeadline('br')).toBeGreaterThanOrEqual(aware + 72 * HOUR);
    expect(items.at(-1)?.key).toBe('br');
    for (const o of items) for (const c of o.clocks) expect(c.status).not.toBe('overdue');
  });

  it('drafts exactly one notice per person read and one report per regulator; the drafter cannot approve', async () => {
    const drafted = await drafter.client.post(`/v1/security/incidents/${incidentId}/notices/draft`);
    expect(drafted.statusCode, drafted.body).toBe(200);
    expect(drafted.json()).toMatchObject({ people: 3, kept: 0 });
    expect((drafted.json().regulators as string[]).sort()).toEqual(['br', 'eu-DE', 'kr']);

    const notices = (
      await drafter.client.get(`/v1/security/incidents/${incidentId}/notices?audience=person`)
    ).json();
    const recipients = (notices.items as { recipient: string; language: string; status: string }[])
      .map((n) => `${n.recipient}:${n.language}:${n.status}`)
      .sort();
    expect(recipients).toEqual(
      customers
        .slice(0, 3)
        .map((c) => `${c.shopper.userId}:${c.language.slice(0, 2)}:draft`)
        .sort(),
    );
    // Drafting again replaces drafts: still one each, under a new batch the approval must name.
    const firstBatch = drafted.json().batch as string;
    const redrafted = await drafter.client.post(`/v1/security/incidents/${incidentId}/notices/draft`);
    const again = (await drafter.client.get(`/v1/security/incidents/${incidentId}/notices`)).json();
    expect(again.items).toHaveLength(6);
    expect(again.summary).toEqual({
      people: { draft: 3 },
      regulators: { draft: 3 },
      draftBatch: redrafted.json().batch,
    });
    batch = redrafted.json().batch as string;
    expect(batch).not.toBe(firstBatch);
    // An approver who read the first drafts approves nothing: they changed since.
    const stale = await approver.client.post(`/v1/security/incidents/${incidentId}/notices/approve`, {
      batch: firstBatch,
    });
    expect(expectProblem(stale, 409).code).toBe('RESPOND_DRAFTS_CHANGED');

    const self = await drafter.client.post(`/v1/security/incidents/${incidentId}/notices/approve`, { batch });
    expect(expectProblem(self, 409).code).toBe('RESPOND_SELF_APPROVAL');
    // Nothing was sent by the refused approval.
    expect(mail.messages.filter((m) => m.subject.includes('Bulwark)'))).toHaveLength(0);
  });

  it('a second person approves; every notice arrives in its language with the phrase and no sign-in link', async () => {
    const approved = await approver.client.post(`/v1/security/incidents/${incidentId}/notices/approve`, {
      batch,
    });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toEqual({ approved: 6 });

    const [german, korean, brazilian] = customers;
    const noticeTo = (customer: typeof german) =>
      mail.waitFor(
        (m) =>
          m.to.includes(customer?.shopper.email.toLowerCase() as string) && m.subject.includes('(Bulwark)'),
      );
    const de = await noticeTo(german);
    expect(de.subject).toBe(
      'Benachrichtigung über eine Verletzung des Schutzes personenbezogener Daten (Bulwark)',
    );
    expect(de.text).toContain('Ihre E-Mail-Adresse und Telefonnummer');
    expect(de.text).toContain('Bulwark Trading Ltd, privacy@bulwark.example');
    expect(de.text).toContain(incidentId);
    const ko = await noticeTo(korean);
    expect(ko.subject).toBe('개인정보 유출 통지 (Bulwark)');
    expect(ko.text.startsWith('Your anti-phishing phrase: blue heron at dawn')).toBe(true);
    expect(ko.text).toContain('이메일 주소와 전화번호');
    const pt = await noticeTo(brazilian);
    expect(pt.text).toContain('seu e-mail e telefone');
    for (const notice of [de, ko, pt]) {
      expect(notice.headers['message-id']).toMatch(/^<msg_[0-9a-z]{26}@localhost>$/);
      // Kinds of data, never the data; and no link that signs anyone in.
      expect(notice.text).not.toContain('#token=');
      expect(notice.text).not.toMatch(/https?:\/\//);
      expect(notice.text).not.toContain('+4915112345678');
    }

    // The report to Korea's regulator goes straight to it, with the report attached three ways.
    const report = await mail.waitFor((m) => m.to.includes('report@pipc.example'));
    expect(report.subject).toBe('Personal data breach report - South Korea (PIPA Art. 34)');
    expect(report.attachments.map((a) => a.contentType).sort()).toEqual([
      'application/json',
      'application/pdf',
      'text/markdown',
    ]);
    const json = JSON.parse(
      report.attachments.find((a) => a.contentType === 'application/json')?.content.toString() as string,
    );
    expect(json.fields.map((f: { label: string }) => f.label)).toContain(
      'Items of personal information leaked',
    );
    const pdf = await pdfText(
      report.attachments.find((a) => a.contentType === 'application/pdf')?.content as Buffer,
    );
    expect(pdf.text).toContain('Department and contact point for reporting damage');
    // Germany's and Brazil's reports go to the privacy team, to be filed through the regulators' portals.
    const filing = await mail.waitFor(
      (m) => m.to.includes('privacy@bulwark.example') && m.subject.includes('EU (GDPR) - DE'),
    );
    expect(filing.attachments).toHaveLength(3);

    // Nobody outside the scope heard anything.
    for (const outside of customers.slice(3)) {
      expect(
        mail.messages.filter(
          (m) => m.to.includes(outside.shopper.email.toLowerCase()) && m.subject.includes('(Bulwark)'),
        ),
      ).toHaveLength(0);
    }
    // The in-app inbox carries the same notice.
    const inbox = (await korean?.shopper.client.get('/v1/me/notices'))?.json().items as {
      template: string;
      title: string;
    }[];
    expect(inbox.find((n) => n.template === 'breach_notice')?.title).toBe('개인정보 유출 통지 (Bulwark)');
  });

  it('follows each notice to delivery, and a clock is done once the report is sent or filed', async () => {
    await test.container.notify.deliverDue();
    const notices = (await drafter.client.get(`/v1/security/incidents/${incidentId}/notices`)).json();
    expect(notices.summary).toEqual({ people: { sent: 3 }, regulators: { sent: 3 }, draftBatch: null });
    const obligations = (await drafter.client.get(`/v1/security/incidents/${incidentId}/obligations`)).json()
      .items as Obligation[];
    const status = (key: string) =>
      obligations.find((o) => o.key === key)?.clocks.map((c) => `${c.kind}:${c.status}`);
    expect(status('kr')).toEqual(['regulator:done', 'individuals:done']);
    // Sent to our own privacy team is not yet reported: the regulator's clock runs until it is filed.
    expect(status('eu-DE')).toEqual(['regulator:due', 'individuals:done']);
    const euReport = (notices.items as { id: string; recipient: string }[]).find(
      (n) => n.recipient === 'eu-DE',
    );
    const filed = await drafter.client.post(
      `/v1/security/incidents/${incidentId}/notices/${euReport?.id}/filed`,
      {
        reference: 'BfDI-2026-11-4411',
      },
    );
    expect(filed.statusCode, filed.body).toBe(200);
    const after = (await drafter.client.get(`/v1/security/incidents/${incidentId}/obligations`)).json()
      .items as Obligation[];
    expect(after.find((o) => o.key === 'eu-DE')?.clocks[0]?.status).toBe('done');

    // Every step is on the incident's timeline, with who did it.
    const timeline = (await drafter.client.get(`/v1/security/incidents/${incidentId}`)).json().timeline as {
      kind: string;
      actorId: string;
      text: string;
    }[];
    const steps = timeline.filter((t) => t.kind === 'notices');
    expect(steps.map((s) => s.actorId)).toEqual([
      drafter.userId,
      drafter.userId,
      approver.userId,
      drafter.userId,
    ]);
    expect(steps.at(-1)?.text).toContain('BfDI-2026-11-4411');
  });

  it('exports each report as JSON, Markdown and PDF; drafting again never notifies anyone twice', async () => {
    const json = await drafter.client.get(`/v1/security/incidents/${incidentId}/reports/br`);
    expect(json.statusCode, json.body).toBe(200);
    expect(json.json().fields).toHaveLength(12);
    const md = await drafter.client.get(`/v1/security/incidents/${incidentId}/reports/br?format=md`);
    expect(md.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(md.body).toContain('## Total data subjects in the affected processing activities');
    const pdf = await drafter.client.get(`/v1/security/incidents/${incidentId}/reports/br?format=pdf`);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect((await pdfText(pdf.rawPayload)).text).toContain('Reasons for delay, if late');
    expect(
      expectProblem(await drafter.client.get(`/v1/security/incidents/${incidentId}/reports/jp`), 404).code,
    ).toBe('RESPOND_REPORT_NOT_FOUND');

    const before = mail.messages.length;
    const redraft = await drafter.client.post(`/v1/security/incidents/${incidentId}/notices/draft`);
    expect(redraft.json()).toMatchObject({ people: 0, kept: 6 });
    expect(
      expectProblem(
        await approver.client.post(`/v1/security/incidents/${incidentId}/notices/approve`, { batch }),
        409,
      ).code,
    ).toBe('RESPOND_NOTHING_TO_APPROVE');
    await test.container.notify.deliverDue();
    expect(mail.messages.length).toBe(before);
  });
});
