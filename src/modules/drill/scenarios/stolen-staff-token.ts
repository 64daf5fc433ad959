import { type DrillShopper, signUpShopper } from '../drill-client.ts';
import { createReferee, precisionRecall } from '../referee.ts';
import { blank, type Scenario } from '../scenario.ts';

/**
 * PandaBuy 2024: a support token used to read as many customers' personal data as possible. Passes
 * when the token is stopped before it reads every victim, revoked on its own, an incident opens whose
 * scope is exactly the people it read, and notices are drafted for exactly those people.
 */
export const stolenStaffToken: Scenario = {
  id: 'stolen-staff-token',
  title: 'Bulk reveals with a stolen support token',
  async run(context) {
    const result = blank(this.id);
    if (!context.staffToken)
      return { ...result, pass: false, reason: 'needs --staff-token (a support token)' };
    const thief = context.anonymous.as(context.staffToken);
    const me = await thief.get('/v1/me');
    if (me.status !== 200)
      return { ...result, pass: false, reason: `the staff token does not work (${me.status})` };
    const principal = (me.body as { id: string }).id;

    const victims: DrillShopper[] = [];
    for (let i = 0; i < context.victims; i += 1) victims.push(await signUpShopper(context, 'victim'));
    context.log(`stolen-staff-token: ${victims.length} victims signed up; revealing with the token`);

    // The reason staff give is kept in the clear in the trail: the dump scenario's proof that it can see.
    const reason = `customer called about a missing parcel (ticket DRILL-${Date.now().toString(36)})`;
    context.control(reason);
    const started = Date.now();
    const obtained: string[] = [];
    let containMs: number | null = null;
    for (const victim of victims) {
      const answer = await thief.post(`/v1/staff/customers/${victim.userId}/reveal`, {
        fields: ['email', 'phone', 'fullName'],
        reason,
      });
      if (answer.status === 200 && answer.text.includes(victim.email)) obtained.push(victim.userId);
      if (answer.status === 401) {
        containMs = Date.now() - started;
        break;
      }
    }
    const stopped = obtained.length < victims.length;

    if (!context.refereeToken) {
      return {
        ...result,
        obtained: obtained.length,
        containMs,
        pass: stopped && containMs !== null,
        reason: stopped
          ? 'stopped and revoked (no referee: detection and scope not scored)'
          : 'read every victim',
      };
    }
    const referee = createReferee(context.anonymous.as(context.refereeToken));
    const detectMs = await referee.alertAbout(principal, started);
    const incidentId = await referee.incidentAbout(principal);
    const scope = incidentId ? await referee.scopeOf(incidentId) : [];
    const { precision, recall } = precisionRecall(scope, obtained);
    const noticed = incidentId ? await referee.draftNotices(incidentId) : [];
    const noticesRight = incidentId !== null && [...noticed].sort().join() === [...obtained].sort().join();
    const failures = [
      !stopped && `the token read all ${victims.length} victims`,
      containMs === null && 'the token was never revoked',
      detectMs === null && 'no alert',
      incidentId === null && 'no incident opened',
      (precision < 1 || recall < 1) && `scope precision ${precision.toFixed(2)}, recall ${recall.toFixed(2)}`,
      !noticesRight && 'notices not drafted for exactly the people read',
    ].filter((f): f is string => typeof f === 'string');
    return {
      scenario: this.id,
      obtained: obtained.length,
      detectMs,
      containMs,
      incidentOpened: incidentId !== null,
      scopePrecision: precision,
      scopeRecall: recall,
      noticesRight,
      pass: failures.length === 0,
      reason:
        failures.join('; ') ||
        `stopped after ${obtained.length} of ${victims.length}; revoked; incident scope exact; notices for exactly them`,
    };
  },
};
