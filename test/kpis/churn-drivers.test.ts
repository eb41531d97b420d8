import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../lambdas/ports/clock.js';
import {
  subscriptionCanceled,
  subscriptionChanged,
  subscriptionStarted,
  surveyEvent,
} from '../support/events.js';
import { startTestApp, type TestApp } from '../support/local-app.js';

/**
 * The churn drivers against a published worked example: Hanley & McNeil (1982, Radiology 143:29–36), table 1, the
 * ratings of 109 CT images, 58 normal and 51 abnormal, on a five-point scale from "definitely normal" (1) to
 * "definitely abnormal" (5). Their area is W = 0.893 with SE 0.032. Here each image is an account that answered a
 * CES survey on 1 June 2024; "abnormal" accounts churned 30 days later, "normal" ones stayed. Rating k becomes the
 * 1–5 CES score 6 − k (a low score foretells churn, as a high rating foretold disease), which maps onto 1–7 as
 * 7, 5.5, 4, 2.5, 1: a monotone relabelling, so the area is the same. The same accounts answered NPS with a weaker
 * signal, worked by hand below. Through the real endpoint, lake, DuckDB, dynalite and the read API.
 */
const AS_OF = new Date('2025-01-01T00:00:00Z');
const RESPONDED = '2024-06-01T00:00:00Z';

const normal = [33, 6, 6, 11, 2];
const abnormal = [3, 2, 2, 11, 33];
const ratings = (counts: number[]) => counts.flatMap((count, index) => Array<number>(count).fill(index + 1));

function hanleyMcNeilAccounts() {
  const events: unknown[] = [];
  ratings(normal).forEach((rating, i) => {
    const id = `normal-${i}`;
    events.push(subscriptionStarted(`start-${id}`, id, 100, '2024-01-01T00:00:00Z'));
    events.push(surveyEvent(`ces-${id}`, id, 'ces', 6 - rating, RESPONDED, { scale_min: 1, scale_max: 5 }));
    // 29 promoters (10), then 29 detractors (5).
    events.push(surveyEvent(`nps-${id}`, id, 'nps', i < 29 ? 10 : 5, RESPONDED));
  });
  ratings(abnormal).forEach((rating, i) => {
    const id = `abnormal-${i}`;
    events.push(subscriptionStarted(`start-${id}`, id, 100, '2024-01-01T00:00:00Z'));
    events.push(surveyEvent(`ces-${id}`, id, 'ces', 6 - rating, RESPONDED, { scale_min: 1, scale_max: 5 }));
    // 20 promoters, then 31 detractors.
    events.push(surveyEvent(`nps-${id}`, id, 'nps', i < 20 ? 10 : 5, RESPONDED));
    events.push(subscriptionCanceled(`end-${id}`, id, '2024-06-15T00:00:00Z', '2024-07-01T00:00:00Z'));
  });
  // The last normal account (a detractor with CES 1) upgraded: its latest MRR counts.
  events.push(subscriptionChanged('change-normal-57', 'normal-57', 250, '2024-09-01T00:00:00Z'));
  return events;
}

/** CSAT-only accounts for the horizon and eligibility rules. */
const csatCases = [
  // churned 89 days after answering 2: churned within 90 days.
  subscriptionStarted('start-a', 'csat-a', 10, '2024-01-01T00:00:00Z'),
  surveyEvent('csat-a', 'csat-a', 'csat', 2, RESPONDED),
  subscriptionCanceled('end-a', 'csat-a', '2024-08-01T00:00:00Z', '2024-08-29T00:00:00Z'),
  // churned 91 days after answering 2: retained within the horizon.
  subscriptionStarted('start-b', 'csat-b', 10, '2024-01-01T00:00:00Z'),
  surveyEvent('csat-b', 'csat-b', 'csat', 2, RESPONDED),
  subscriptionCanceled('end-b', 'csat-b', '2024-08-01T00:00:00Z', '2024-08-31T00:00:00Z'),
  // answered after leaving: not a customer then, left out.
  subscriptionStarted('start-c', 'csat-c', 10, '2024-01-01T00:00:00Z'),
  subscriptionCanceled('end-c', 'csat-c', '2024-02-01T00:00:00Z', '2024-03-01T00:00:00Z'),
  surveyEvent('csat-c', 'csat-c', 'csat', 1, '2024-04-01T00:00:00Z'),
  // answered less than 90 days before as of: the outcome is not known yet, left out (still active, MRR 100).
  subscriptionStarted('start-d', 'csat-d', 100, '2024-01-01T00:00:00Z'),
  surveyEvent('csat-d', 'csat-d', 'csat', 1, '2024-11-15T00:00:00Z'),
  // answered 1, then 5; churned 30 days after the latest: counted once, with 5.
  subscriptionStarted('start-e', 'csat-e', 10, '2024-01-01T00:00:00Z'),
  surveyEvent('csat-e1', 'csat-e', 'csat', 1, '2024-05-01T00:00:00Z'),
  surveyEvent('csat-e2', 'csat-e', 'csat', 5, RESPONDED),
  subscriptionCanceled('end-e', 'csat-e', '2024-06-10T00:00:00Z', '2024-07-01T00:00:00Z'),
];

describe('churn drivers (Hanley & McNeil 1982 worked example)', () => {
  let app: TestApp;
  let body: any;

  beforeAll(async () => {
    app = await startTestApp({ clock: fixedClock(AS_OF) });
    const before = await fetch(`${app.url}/v1/insights/churn-drivers`);
    expect(before.status).toBe(404);
    const events = [...hanleyMcNeilAccounts(), ...csatCases];
    const response = await app.postGeneric({ events }, { id: 'delivery-drivers', sentAt: AS_OF });
    expect(response.status).toBe(202);
    await app.aggregator.run({ backfill: true });
    const drivers = await fetch(`${app.url}/v1/insights/churn-drivers`);
    expect(drivers.status).toBe(200);
    body = await drivers.json();
  });
  afterAll(async () => app.stop());

  it('finds the published area for CES: W = 0.893, SE = 0.032', async () => {
    expect(body).toMatchObject({ horizon_days: 90, as_of: AS_OF.toISOString() });
    expect(body.surveys.ces).toMatchObject({ responses: 109, churned: 51 });
    // Σ over abnormal ratings of (normals rated lower + ½ normals rated the same) / (51 · 58) = 2642/2958.
    expect(body.surveys.ces.auc.value).toBeCloseTo(0.893171, 5);
    // Q1 = W/(2 − W) = 0.806964, Q2 = 2W²/(1 + W) = 0.842771;
    // SE² = (W(1 − W) + 50(Q1 − W²) + 57(Q2 − W²)) / 2958 = 0.0010554 → SE = 0.032487.
    expect(body.surveys.ces.auc.se).toBeCloseTo(0.032487, 5);
    expect(body.surveys.ces.auc.ci95[0]).toBeCloseTo(0.829497, 5);
    expect(body.surveys.ces.auc.ci95[1]).toBeCloseTo(0.956845, 5);
  });

  it('gives churn by CES band: low effort 5–7, neutral, high effort up to 3', async () => {
    const band = (name: string) => body.surveys.ces.bands.find((b: any) => b.band === name);
    // Ratings 1–2 (CES 7, 5.5): 39 normal + 5 abnormal; rating 3 (CES 4): 6 + 2; ratings 4–5 (2.5, 1): 13 + 44.
    expect(band('low_effort')).toMatchObject({ responses: 44, churned: 5 });
    expect(band('neutral')).toMatchObject({ responses: 8, churned: 2, churn_rate: 25 });
    expect(band('high_effort')).toMatchObject({ responses: 57, churned: 44 });
    // Wilson: p = 44/57 = 0.77193, centre (p + 1.9208/57)/(1 + 3.8415/57), half-width … → 64.79 … 86.16.
    expect(band('high_effort').churn_rate).toBeCloseTo(77.193, 3);
    expect(band('high_effort').ci95[0]).toBeCloseTo(64.7937, 3);
    expect(band('high_effort').ci95[1]).toBeCloseTo(86.1582, 3);
  });

  it('gives NPS its category rates and a weaker area, worked by hand', async () => {
    const category = (name: string) => body.surveys.nps.bands.find((b: any) => b.band === name);
    expect(category('promoter')).toMatchObject({ responses: 49, churned: 20 });
    expect(category('detractor')).toMatchObject({ responses: 60, churned: 31 });
    expect(category('passive')).toBeUndefined();
    expect(category('promoter').churn_rate).toBeCloseTo(40.8163, 3);
    // Churned detractors (31) score below 29 retained promoters and tie 29 detractors; churned promoters (20) tie
    // 29 promoters: (31 · (29 + 14.5) + 20 · 14.5) / 2958 = 1638.5/2958 = 0.553922.
    // Q1 = 0.383051, Q2 = 0.394909: SE² = (0.247093 + 50 · 0.076222 + 57 · 0.088080)/2958 → SE = 0.055401.
    expect(body.surveys.nps.auc.value).toBeCloseTo(0.553922, 5);
    expect(body.surveys.nps.auc.se).toBeCloseTo(0.055401, 5);
  });

  it('answers that CES predicts churn better than NPS, with the interval of the difference', async () => {
    // 0.893171 − 0.553922 = 0.339249; SE = √(0.032487² + 0.055401²) = 0.064223; 95%: 0.213372 … 0.465127.
    expect(body.ces_vs_nps.answer).toBe('ces');
    expect(body.ces_vs_nps.auc_difference).toBeCloseTo(0.339249, 5);
    expect(body.ces_vs_nps.ci95[0]).toBeCloseTo(0.213372, 5);
    expect(body.ces_vs_nps.ci95[1]).toBeCloseTo(0.465127, 5);
    expect(body.ces_vs_nps.verdict).toMatch(
      /^Yes: on this data CES predicts churn better than NPS \(AUC 0\.89/,
    );
  });

  it('counts churn only within the horizon, only for customers, once per account, once known', async () => {
    // a (churned at 89 days, score 2), b (left at 91 days: retained, 2), e (latest answer 5, churned): c answered
    // after leaving and d too recently. Churned {2, 5} against retained {2}: (½ + 0)/2 = 0.25.
    expect(body.surveys.csat).toMatchObject({ responses: 3, churned: 2 });
    const band = (name: string) => body.surveys.csat.bands.find((b: any) => b.band === name);
    expect(band('dissatisfied')).toMatchObject({ responses: 2, churned: 1, churn_rate: 50 });
    expect(band('satisfied')).toMatchObject({ responses: 1, churned: 1, churn_rate: 100 });
    // Q1 = 0.25/1.75, Q2 = 0.125/1.25: SE² = (0.1875 + (0.142857 − 0.0625))/2 → SE = 0.365963; the lower bound is 0.
    expect(body.surveys.csat.auc.value).toBeCloseTo(0.25, 6);
    expect(body.surveys.csat.auc.se).toBeCloseTo(0.365963, 5);
    expect(body.surveys.csat.auc.ci95).toEqual([0, expect.closeTo(0.967288, 5)]);
  });

  it('puts ARR at risk on detractors and high-effort answers, at each account’s latest MRR', async () => {
    // Active at as of: the 58 normal accounts and csat-d. At risk: normal 29–57 are the detractors (the 13
    // high-effort answers, normal 45–57, are among them): 28 · 100 + 250 (normal-57 upgraded) = 3 050 MRR.
    // All active: 57 · 100 + 250 + 100 (csat-d) = 6 050 MRR.
    expect(body.arr_at_risk).toEqual([
      {
        currency: 'USD',
        accounts_at_risk: 29,
        detractor_accounts: 29,
        high_effort_accounts: 13,
        arr_at_risk: 36_600,
        active_accounts: 59,
        total_arr: 72_600,
      },
    ]);
  });

  it('takes no parameters', async () => {
    const response = await fetch(`${app.url}/v1/insights/churn-drivers?survey=nps`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });
});
