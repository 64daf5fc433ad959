import { signUpShopper } from '../drill-client.ts';
import { createReferee } from '../referee.ts';
import { blank, type Scenario } from '../scenario.ts';

const MAX_PAGES = 400;

/**
 * High-rate pagination walks (every listing, largest page size, as fast as possible). Passes when the
 * scraper is throttled (429) and then stopped (its session ended).
 */
export const scrape: Scenario = {
  id: 'scrape',
  title: 'Paging through listings at high rate',
  async run(context) {
    const scraper = await signUpShopper(context, 'scraper');
    const started = Date.now();
    let served = 0;
    let throttledMs: number | null = null;
    let containMs: number | null = null;
    const listings = ['/v1/orders?limit=100', '/v1/parcels?limit=100', '/v1/wallet/transactions?limit=100'];
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const answer = await scraper.client.get(listings[page % listings.length] as string);
      if (answer.status === 200) served += 1;
      if (answer.status === 429 && throttledMs === null) throttledMs = Date.now() - started;
      if (answer.status === 401 || answer.status === 403) {
        containMs = Date.now() - started;
        break;
      }
    }
    const detectMs = context.refereeToken
      ? await createReferee(context.anonymous.as(context.refereeToken)).alertAbout(scraper.userId, started)
      : null;
    const failures = [
      throttledMs === null && `never throttled (${served} pages served)`,
      containMs === null && 'the scraper was never stopped',
    ].filter((f): f is string => typeof f === 'string');
    return {
      ...blank(this.id),
      obtained: served,
      detectMs,
      containMs,
      pass: failures.length === 0,
      reason: failures.join('; ') || `throttled after ${served} pages; stopped`,
    };
  },
};
