import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../lambdas/ports/clock.js';
import { accountUpdated, subscriptionCanceled, subscriptionStarted } from '../support/events.js';
import { startTestApp, type TestApp } from '../support/local-app.js';

/**
 * Kaplan–Meier and the log-rank test against the textbook example with published answers: the remission times of
 * Freireich et al. (1963), 6-MP against placebo, as analysed by Gehan (1965), Kleinbaum & Klein ("Survival
 * Analysis: A Self-Learning Text", ch. 2) and R's survival package (survfit with conf.type = "log-log", survdiff).
 * Weeks become days: each patient is an account whose first subscription started t days before its churn, or
 * t days before "as of" when censored (still a customer). Everything goes through the real signed endpoint, the
 * lake, DuckDB, dynalite and GET /v1/survival.
 */
const AS_OF = new Date('2025-01-01T00:00:00Z');
const DAY = 24 * 3600 * 1000;

// Remission weeks as the tables print them: "6+" is censored (still in remission at the end of the study).
const sixMp = times('6 6 6 6+ 7 9+ 10 10+ 11+ 13 16 17+ 19+ 20+ 22 23 25+ 32+ 32+ 34+ 35+');
const placebo = times('1 1 2 2 3 4 4 5 5 8 8 8 8 11 11 12 12 15 17 22 23');
// A small three-group example, worked by hand below, under its own segment key.
const tiers: [string, number, 0 | 1][] = [
  ['x', 1, 1],
  ['x', 3, 0],
  ['y', 2, 1],
  ['y', 4, 1],
  ['z', 2, 1],
  ['z', 5, 0],
];

const iso = (ms: number) => new Date(ms).toISOString();

function times(table: string): [number, 0 | 1][] {
  return table.split(' ').map((cell) => [Number.parseInt(cell, 10), cell.endsWith('+') ? 0 : 1]);
}

function account(id: string, t: number, churned: 0 | 1, attributes: Record<string, unknown>) {
  // A churned account starts on 1 June 2024 and leaves t days later; a censored one starts t days before as of.
  const start = churned ? Date.parse('2024-06-01T00:00:00Z') : AS_OF.getTime() - t * DAY;
  return [
    accountUpdated(`acc-${id}`, id, '2024-05-01T00:00:00Z', attributes),
    subscriptionStarted(`start-${id}`, id, 100, iso(start)),
    ...(churned ? [subscriptionCanceled(`end-${id}`, id, iso(start + t * DAY), iso(start + t * DAY))] : []),
  ];
}

describe('survival of accounts (Freireich 6-MP data, published answers)', () => {
  let app: TestApp;
  const get = async (query: string) => {
    const response = await fetch(`${app.url}/v1/survival${query}`);
    return { status: response.status, body: (await response.json()) as any };
  };

  beforeAll(async () => {
    app = await startTestApp({ clock: fixedClock(AS_OF) });
    const events = [
      ...sixMp.flatMap(([t, churned], i) => account(`mp-${i}`, t, churned, { plan: '6-mp' })),
      ...placebo.flatMap(([t, churned], i) => account(`pl-${i}`, t, churned, { plan: 'placebo' })),
      ...tiers.flatMap(([tier, t, churned], i) => account(`tier-${i}`, t, churned, { attributes: { tier } })),
    ];
    const response = await app.postGeneric({ events }, { id: 'delivery-survival', sentAt: AS_OF });
    expect(response.status).toBe(202);
    await app.aggregator.run({ backfill: true });
  });
  afterAll(async () => app.stop());

  it('gives the 6-MP Kaplan–Meier curve with its log-log band, as published', async () => {
    const { status, body } = await get('?segment=plan');
    expect(status).toBe(200);
    expect(body).toMatchObject({ segment_key: 'plan', time_unit: 'day', band: 'log-log' });
    const curve = body.curves.find((c: any) => c.segment?.value === '6-mp');
    expect(curve).toMatchObject({ accounts: 21, churned: 9, median_days: 23 });
    const at = (t: number) => curve.points.find((p: any) => p.t === t);
    // [t, at risk, events, Ŝ(t), lower, upper]: Ŝ from the product-limit, e.g. Ŝ(7) = 18/21 · 16/17 = 0.8067; the
    // band is Ŝ^exp(±1.96 · √Σ d/(n(n−d)) / |ln Ŝ|), e.g. at 6: √(3/(21·18)) = 0.08909, / |ln 0.8571| = 0.5779,
    // exp(±1.1327) → 0.8571^3.104 = 0.6197 and 0.8571^0.3222 = 0.9516 (R: 0.620, 0.952).
    const published: [number, number, number, number, number, number][] = [
      [6, 21, 3, 0.8571, 0.6197, 0.9516],
      [7, 17, 1, 0.8067, 0.5631, 0.9228],
      [10, 15, 1, 0.7529, 0.5032, 0.8894],
      [13, 12, 1, 0.6902, 0.4316, 0.8491],
      [16, 11, 1, 0.6275, 0.3675, 0.8049],
      [22, 7, 1, 0.5378, 0.2678, 0.7468],
      [23, 6, 1, 0.4482, 0.188, 0.6801],
    ];
    for (const [t, atRisk, events, survival, low, high] of published) {
      expect(at(t)).toMatchObject({ at_risk: atRisk, events });
      expect(at(t).survival).toBeCloseTo(survival, 4);
      expect(at(t).ci95[0]).toBeCloseTo(low, 3);
      expect(at(t).ci95[1]).toBeCloseTo(high, 3);
    }
    // A censoring-only day keeps the curve flat and lowers the number at risk.
    expect(at(9)).toMatchObject({ at_risk: 16, events: 0, censored: 1 });
    expect(at(9).survival).toBeCloseTo(0.8067, 4);
    expect(at(35)).toMatchObject({ at_risk: 1, censored: 1 });
    expect(curve.points.map((p: any) => p.t)).toEqual([
      6, 7, 9, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 34, 35,
    ]);
  });

  it('gives the placebo curve: median 8, down to 0 at 23 with no band there', async () => {
    const { body } = await get('?segment=plan');
    const curve = body.curves.find((c: any) => c.segment?.value === 'placebo');
    expect(curve).toMatchObject({ accounts: 21, churned: 21, median_days: 8 });
    // Ŝ(8) = 8/21 = 0.3810: 21 at risk, 2 + 2 + 1 + 2 + 2 events before day 8, 4 on it.
    expect(curve.points.find((p: any) => p.t === 8).survival).toBeCloseTo(8 / 21, 6);
    expect(curve.points.at(-1)).toMatchObject({ t: 23, survival: 0, ci95: null });
  });

  it('tests 6-MP against placebo with the log-rank test: χ² = 16.79 on 1 df, p = 4.17e-5', async () => {
    const { body } = await get('?segment=plan');
    // Published: O = 9 and E = 19.25 for 6-MP, O = 21 and E = 10.75 for placebo; (O − E)²/V = 16.79.
    expect(body.test).toMatchObject({ method: 'log-rank', df: 1, significant: true });
    expect(body.test.statistic).toBeCloseTo(16.7929, 3);
    expect(body.test.p_value / 4.1688e-5).toBeCloseTo(1, 3);
    const group = (value: string) => body.test.groups.find((g: any) => g.value === value);
    expect(group('6-mp').observed).toBe(9);
    expect(group('6-mp').expected).toBeCloseTo(19.2505, 3);
    expect(group('placebo').observed).toBe(21);
    expect(group('placebo').expected).toBeCloseTo(10.7495, 3);
  });

  it('tests three values with Peto’s approximation and the even-df p-value e^(−χ²/2)', async () => {
    // Churn days 1 (x), 2 (y and z) and 4 (y); x censored at 3, z at 5.
    //   day 1: at risk x 2, y 2, z 2 (n 6, d 1): E += 1/3 each;
    //   day 2: at risk x 1, y 2, z 2 (n 5, d 2): E_x += 0.4, E_y += 0.8, E_z += 0.8;
    //   day 4: at risk y 1, z 1 (n 2, d 1): E_y += 0.5, E_z += 0.5.
    // O = 1, 2, 1 and E = 0.7333, 1.6333, 1.6333: Σ(O − E)²/E = 0.09697 + 0.08231 + 0.24558 = 0.42486 on 2 df;
    // p = e^(−0.42486/2) = 0.80862.
    const { body } = await get('?segment=tier');
    expect(body.test).toMatchObject({ method: 'log-rank (Peto approximation)', df: 2, significant: false });
    expect(body.test.statistic).toBeCloseTo(0.424861, 5);
    expect(body.test.p_value).toBeCloseTo(0.808617, 5);
    expect(body.curves.map((c: any) => c.segment.value)).toEqual(['x', 'y', 'z']);
  });

  it('serves all accounts without a test, and refuses what it cannot answer', async () => {
    const all = await get('');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ segment_key: null, test: null });
    expect(all.body.curves).toHaveLength(1);
    expect(all.body.curves[0]).toMatchObject({ segment: null, accounts: 48, churned: 34 });
    const unknown = await get('?segment=colour');
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toContain('colour');
    const value = await get('?segment=plan:pro');
    expect(value.status).toBe(400);
    expect(value.body.errors[0].path).toBe('segment');
    expect((await get('?segment=plan&grain=month')).status).toBe(400);
  });
});
