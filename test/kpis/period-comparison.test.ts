import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../lambdas/ports/clock.js';
import { accountUpdated, surveyEvent } from '../support/events.js';
import { startTestApp, type TestApp } from '../support/local-app.js';

/**
 * Month-over-month change and its significance for each survey KPI, worked by hand, and the low-sample flag with
 * CS_PULSE_LOW_SAMPLE_MIN = 29 (so 29 responses are enough and the 10 of a small segment are not). Responses come
 * from distinct accounts; the first ten of each month are on plan "small".
 */
const NOW = new Date('2025-04-01T00:00:00Z');

type Survey = 'nps' | 'ces' | 'csat';
function month(survey: Survey, day: string, scores: [score: number, count: number][]) {
  const all = scores.flatMap(([score, count]) => Array<number>(count).fill(score));
  return all.flatMap((score, i) => {
    const account = `${survey}-${day}-${i}`;
    return [
      ...(i < 10
        ? [accountUpdated(`plan-${account}`, account, '2024-12-01T00:00:00Z', { plan: 'small' })]
        : []),
      surveyEvent(`response-${account}`, account, survey, score, `${day}T12:00:00Z`),
    ];
  });
}

const events = [
  // NPS: 15 promoters, 5 passives, 10 detractors; then 20/5/5; then 5/5/20.
  ...month('nps', '2025-01-10', [
    [10, 15],
    [8, 5],
    [3, 10],
  ]),
  ...month('nps', '2025-02-10', [
    [10, 20],
    [8, 5],
    [3, 5],
  ]),
  ...month('nps', '2025-03-10', [
    [10, 5],
    [8, 5],
    [3, 20],
  ]),
  // CES: fifteen 7s and fifteen 5s; fifteen 6s and fifteen 4s; fifteen 5s and fourteen 4s.
  ...month('ces', '2025-01-11', [
    [7, 15],
    [5, 15],
  ]),
  ...month('ces', '2025-02-11', [
    [6, 15],
    [4, 15],
  ]),
  ...month('ces', '2025-03-11', [
    [5, 15],
    [4, 14],
  ]),
  // CSAT: 24 of 30 satisfied; 15 of 30; 15 of 29.
  ...month('csat', '2025-01-12', [
    [5, 24],
    [2, 6],
  ]),
  ...month('csat', '2025-02-12', [
    [5, 15],
    [2, 15],
  ]),
  ...month('csat', '2025-03-12', [
    [5, 15],
    [2, 14],
  ]),
];

describe('period-over-period change and its two-sample tests', () => {
  let app: TestApp;
  const points = async (metric: string, query = '') => {
    const response = await fetch(`${app.url}/v1/kpis/${metric}?grain=month${query}`);
    return ((await response.json()) as any).points as any[];
  };

  beforeAll(async () => {
    app = await startTestApp({ clock: fixedClock(NOW), env: { CS_PULSE_LOW_SAMPLE_MIN: '29' } });
    const response = await app.postGeneric({ events }, { id: 'delivery-comparison', sentAt: NOW });
    expect(response.status).toBe(202);
    await app.aggregator.run({ backfill: true });
  });
  afterAll(async () => app.stop());

  it('NPS: +33 points is not significant on 30 responses a month, −100 is', async () => {
    const [january, february, march] = await points('nps');
    expect(january).toMatchObject({ change: null, change_significant: null });
    // January NPS.adj = (15.75 − 10.75)/33 = 0.151515, Var.adj/n.adj = (26.5/33 − 0.151515²)/33 = 0.023639;
    // February NPS.adj = (20.75 − 5.75)/33 = 0.454545, (26.5/33 − 0.454545²)/33 = 0.018073;
    // z = 0.303030/√0.041712 = 1.484 < 1.96.
    expect(february.change).toBeCloseTo(50 - 16.6667, 3);
    expect(february.change_significant).toBe(false);
    // March NPS.adj = −0.454545 with the same variance: z = −0.909091/√0.036147 = −4.78.
    expect(march.change).toBeCloseTo(-100, 6);
    expect(march.change_significant).toBe(true);
  });

  it('CES: Welch’s z on the means', async () => {
    const [, february, march] = await points('ces');
    // February: means 6 → 5, both variances 30/29 = 1.034483: z = −1/√(2 · 1.034483/30) = −3.81.
    expect(february).toMatchObject({ change: -1, change_significant: true });
    // March: mean 131/29 = 4.517241, variance 7.5/29 = 0.258621: z = −0.482759/√(0.034483 + 0.008918) = −2.32.
    expect(march.change).toBeCloseTo(-0.482759, 5);
    expect(march.change_significant).toBe(true);
  });

  it('CSAT: the pooled two-proportion z test', async () => {
    const [, february, march] = await points('csat');
    // 80 % → 50 %: pooled 39/60 = 0.65, SE = √(0.65 · 0.35 · 2/30) = 0.123153, z = −2.44.
    expect(february.change).toBeCloseTo(-30, 9);
    expect(february.change_significant).toBe(true);
    // 50 % → 15/29 = 51.72 %: pooled 30/59, z = 0.13.
    expect(march.change).toBeCloseTo(1.72414, 4);
    expect(march.change_significant).toBe(false);
  });

  it('flags a low sample below CS_PULSE_LOW_SAMPLE_MIN, not at it', async () => {
    const [, , march] = await points('csat');
    expect(march).toMatchObject({ n: 29, low_sample: false });
    const small = await points('csat', '&segment=plan:small');
    expect(small.map((point) => [point.n, point.low_sample])).toEqual([
      [10, true],
      [10, true],
      [10, true],
    ]);
  });

  it('serves the rolling windows in the current KPIs', async () => {
    const response = await fetch(`${app.url}/v1/kpis?grain=rolling_30d`);
    const body = (await response.json()) as any;
    // 2 March … 31 March: the March responses; compared with 31 January … 1 March, the February ones.
    expect(body.metrics.csat.latest_complete).toMatchObject({
      period_start: '2025-03-02',
      n: 29,
      complete: true,
    });
    expect(body.metrics.csat.latest_complete.change).toBeCloseTo(1.72414, 4);
    expect(body.metrics.csat.current).toBeNull();
  });
});
