import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../lambdas/ports/clock.js';
import { NOW, postKnownAnswerCompany } from '../support/known-answer-company.js';
import { startTestApp, type TestApp } from '../support/local-app.js';

/**
 * A small company, built by hand, whose KPIs were worked out by hand (the arithmetic is in the comments). It goes
 * through the real signed endpoint, the real lake, DuckDB and dynalite, and is read back over the real read API.
 *
 * Cases covered: a duplicate delivery, out-of-order arrival, CES and CSAT on other scales, NPS on another scale, a
 * start-and-churn in one month, a churn-and-restart in one month, a scheduled cancellation taken back, a
 * cancellation effective exactly at a period boundary, and segments by plan (with a plan change delivered out of order) and by region.
 */

type Point = {
  period_start: string;
  value: number;
  n: number;
  ci95: [number, number] | null;
  components: Record<string, number>;
  change: number | null;
  change_significant: boolean | null;
  low_sample: boolean;
};

describe('KPIs of a hand-built company (known answers)', () => {
  let app: TestApp;

  const series = async (metric: string, query = ''): Promise<{ status: number; body: any }> => {
    const response = await fetch(`${app.url}/v1/kpis/${metric}${query}`);
    return { status: response.status, body: await response.json() };
  };
  const point = async (metric: string, period: string, query = '?grain=month'): Promise<Point | undefined> =>
    (await series(metric, query)).body.points.find((p: Point) => p.period_start === period);

  beforeAll(async () => {
    app = await startTestApp({ clock: fixedClock(NOW) });
    await postKnownAnswerCompany(app);
    await app.aggregator.run({ backfill: true });
  });
  afterAll(async () => app.stop());

  describe('nps', () => {
    it('January for all accounts: 100·(3 − 2)/6 with the adjusted-Wald interval', async () => {
      const january = await point('nps', '2025-01-01');
      expect(january).toMatchObject({ n: 6, components: { promoters: 3, passives: 1, detractors: 2 } });
      expect(january!.value).toBeCloseTo(16.6667, 3);
      // Adjusted-Wald: n.adj = 6 + 3 = 9, p.adj = 3.75/9 = 0.416667, d.adj = 2.75/9 = 0.305556,
      // NPS.adj = 1/9 = 0.111111; Var.adj = 0.722222 − (1/9)² = 0.709877; SE = √(0.709877/9) = 0.280847;
      // 0.111111 ± 1.96 · 0.280847 = 0.111111 ± 0.550460 → −43.9349 … 66.1572 (centred on NPS.adj, not on 16.67).
      expect(january!.ci95![0]).toBeCloseTo(-43.9349, 3);
      expect(january!.ci95![1]).toBeCloseTo(66.1572, 3);
      // December has no responses: nothing to compare with. Six responses are below the threshold of 30.
      expect(january).toMatchObject({ change: null, change_significant: null, low_sample: true });
    });

    it('February against January: +83.33 points, not significant on one response', async () => {
      const february = await point('nps', '2025-02-01');
      expect(february!.change).toBeCloseTo(100 - 16.6667, 3);
      // February: n.adj = 4, p.adj = 1.75/4, d.adj = 0.75/4, NPS.adj = 0.25, Var.adj/n.adj = (0.625 − 0.0625)/4 =
      // 0.140625; January's is 0.709877/9 = 0.078875. z = (0.25 − 0.111111)/√0.219500 = 0.296 < 1.96.
      expect(february).toMatchObject({ change_significant: false, low_sample: true });
    });

    it('February maps a 1–5 score of 5 to 10, a promoter', async () => {
      expect(await point('nps', '2025-02-01')).toMatchObject({
        n: 1,
        value: 100,
        components: { promoters: 1 },
      });
    });

    it('by plan uses each account’s latest plan, whatever order the updates came in', async () => {
      const enterprise = await point('nps', '2025-01-01', '?grain=month&segment=plan:enterprise');
      expect(enterprise).toMatchObject({ n: 2, value: 100 });
      // n.adj = 5, p.adj = 2.75/5 = 0.55, d.adj = 0.15, NPS.adj = 0.4, SE = √((0.7 − 0.16)/5) = 0.328634:
      // 0.4 ± 0.644123 → −24.4122 … 104.41, kept within −100 … 100.
      expect(enterprise!.ci95![0]).toBeCloseTo(-24.4122, 3);
      expect(enterprise!.ci95![1]).toBe(100);
      expect(await point('nps', '2025-01-01', '?grain=month&segment=plan:pro')).toMatchObject({
        n: 1,
        value: 0,
      });
      expect(await point('nps', '2025-01-01', '?grain=month&segment=plan:basic')).toMatchObject({
        n: 2,
        value: -100,
      });
      expect(await point('nps', '2025-01-01', '?grain=month&segment=region:emea')).toMatchObject({
        n: 2,
        value: 100,
      });
      expect(await point('nps', '2025-01-01', '?grain=month&segment=region:amer')).toMatchObject({
        n: 1,
        value: 0,
      });
    });

    it('the first quarter: 100·(4 − 2)/7', async () => {
      const quarter = await point('nps', '2025-01-01', '?grain=quarter');
      expect(quarter).toMatchObject({ n: 7, components: { promoters: 4, passives: 1, detractors: 2 } });
      expect(quarter!.value).toBeCloseTo(28.5714, 3);
    });

    it('rolling 90 days as of 1 April is 1 January … 31 March: the first quarter again, with no window before', async () => {
      // 31 + 28 + 31 = 90 days. The window before (3 October … 31 December 2024) has no responses.
      const { body } = await series('nps', '?grain=rolling_90d');
      expect(body.points).toHaveLength(1);
      expect(body.points[0]).toMatchObject({
        period_start: '2025-01-01',
        n: 7,
        change: null,
        complete: true,
      });
      expect(body.points[0].value).toBeCloseTo(28.5714, 3);
      // Rolling 30 days (2 March … 31 March) has no NPS response at all: no point.
      expect((await series('nps', '?grain=rolling_30d')).body.points).toEqual([]);
    });
  });

  describe('ces', () => {
    it('January: mean of 7, 5.5, 2, 7 on the 1–7 scale, % easy and the distribution', async () => {
      const january = await point('ces', '2025-01-01');
      expect(january!.n).toBe(4);
      expect(january!.value).toBeCloseTo(5.375, 6);
      // s = √(16.6875/3) = 2.3585; 1.96 · s / √4 = 2.3113
      expect(january!.ci95![0]).toBeCloseTo(3.0637, 3);
      expect(january!.ci95![1]).toBeCloseTo(7.6863, 3);
      expect(january!.components).toEqual({
        pct_easy: 75,
        count_1: 0,
        count_2: 1,
        count_3: 0,
        count_4: 0,
        count_5: 0,
        count_6: 1,
        count_7: 2,
      });
    });
  });

  describe('csat', () => {
    it('January: 3 of 4 satisfied, with the Wilson interval', async () => {
      const january = await point('csat', '2025-01-01');
      expect(january).toMatchObject({ n: 4, value: 75, components: { satisfied: 3 } });
      expect(january!.ci95![0]).toBeCloseTo(30.0636, 3);
      expect(january!.ci95![1]).toBeCloseTo(95.4414, 3);
    });
  });

  describe('logo_churn_rate', () => {
    it('December: only initech was a customer at the start, and stayed', async () => {
      expect(await point('logo_churn_rate', '2024-12-01')).toMatchObject({
        n: 1,
        value: 0,
        components: { customers_at_start: 1, churned: 0 },
      });
    });

    it('January: 4 at the start; initech churned and restarted, umbrella came and went: none churned', async () => {
      const january = await point('logo_churn_rate', '2025-01-01');
      expect(january).toMatchObject({ n: 4, value: 0, components: { customers_at_start: 4, churned: 0 } });
      expect(january!.ci95![0]).toBeCloseTo(0, 6);
      expect(january!.ci95![1]).toBeCloseTo(48.99, 2);
    });

    it('February: globex and hooli (ended exactly at 1 March) churned: 2 of 4', async () => {
      const february = await point('logo_churn_rate', '2025-02-01');
      expect(february).toMatchObject({ n: 4, value: 50, components: { customers_at_start: 4, churned: 2 } });
      expect(february!.ci95![0]).toBeCloseTo(15.0036, 3);
      expect(february!.ci95![1]).toBeCloseTo(84.9964, 3);
    });

    it('March: acme and initech at the start, both still active', async () => {
      expect(await point('logo_churn_rate', '2025-03-01')).toMatchObject({
        n: 2,
        value: 0,
        components: { customers_at_start: 2, churned: 0 },
      });
    });

    it('February against January: +50 points, not significant by the two-proportion test', async () => {
      const february = await point('logo_churn_rate', '2025-02-01');
      // January 0/4, February 2/4: pooled p = 2/8, SE = √(0.25 · 0.75 · (1/4 + 1/4)) = 0.306186, z = 0.5/0.306 = 1.633.
      expect(february).toMatchObject({ change: 50, change_significant: false, low_sample: true });
      // March 0/2 against February 2/4: pooled 2/6, SE = √(1/3 · 2/3 · (1/2 + 1/4)) = 0.408248, z = 1.22.
      expect(await point('logo_churn_rate', '2025-03-01')).toMatchObject({
        change: -50,
        change_significant: false,
      });
      // December 0/1 against nothing before it (no customer at 1 November's start).
      expect(await point('logo_churn_rate', '2024-12-01')).toMatchObject({
        change: null,
        change_significant: null,
      });
    });

    it('rolling 30 days (Baremetrics): of acme and initech active on 2 March none left; the window before lost 2 of 4', async () => {
      // Window 2 March … 1 April; the one before, 31 January … 2 March: acme, globex, initech and hooli active on
      // 31 January, globex (15 February) and hooli (1 March) gone by 2 March.
      const { body } = await series('logo_churn_rate', '?grain=rolling_30d');
      expect(body.points).toHaveLength(1);
      expect(body.points[0]).toMatchObject({
        period_start: '2025-03-02',
        n: 2,
        value: 0,
        change: -50,
        components: { customers_at_start: 2, churned: 0 },
      });
    });

    it('the first quarter: 2 of the 4 at the start churned', async () => {
      expect(await point('logo_churn_rate', '2025-01-01', '?grain=quarter')).toMatchObject({
        n: 4,
        value: 50,
      });
    });

    it('by plan in February: pro (globex) 100 %, enterprise (acme) 0 %', async () => {
      expect(await point('logo_churn_rate', '2025-02-01', '?grain=month&segment=plan:pro')).toMatchObject({
        n: 1,
        value: 100,
      });
      expect(
        await point('logo_churn_rate', '2025-02-01', '?grain=month&segment=plan:enterprise'),
      ).toMatchObject({ n: 1, value: 0 });
    });
  });

  describe('the read API', () => {
    it('lists only periods with data, ascending, within from and to', async () => {
      const { body } = await series('logo_churn_rate', '?grain=month&from=2025-01-01&to=2025-02-28');
      expect(body).toMatchObject({
        metric: 'logo_churn_rate',
        grain: 'month',
        segment: null,
        unit: 'percent',
      });
      expect(body.points.map((p: Point) => p.period_start)).toEqual(['2025-01-01', '2025-02-01']);
      const nps = await series('nps', '?grain=month');
      expect(nps.body.points.map((p: Point) => p.period_start)).toEqual(['2025-01-01', '2025-02-01']);
    });

    it('serves the current KPIs: the last complete month and the current one', async () => {
      const response = await fetch(`${app.url}/v1/kpis`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as any;
      // Data up to 1 April 00:00 is in: March is the current month (its last instant is known), February the latest
      // complete one.
      expect(body.metrics.logo_churn_rate.latest_complete).toMatchObject({
        period_start: '2025-02-01',
        value: 50,
        complete: true,
      });
      expect(body.metrics.logo_churn_rate.current).toMatchObject({
        period_start: '2025-03-01',
        value: 0,
        complete: false,
      });
      expect(body.metrics.nps.latest_complete).toMatchObject({ period_start: '2025-02-01', value: 100 });
      expect(body.metrics.nps.current).toBeNull();
      expect(typeof body.computed_at).toBe('string');
    });

    it('answers an unknown metric with 404 and bad parameters with 400 naming each', async () => {
      const unknown = await series('happiness');
      expect(unknown.status).toBe(404);
      expect(unknown.body.detail).toContain('nps');
      const bad = await series('nps', '?grain=week&from=2025-13-01&segment=plan');
      expect(bad.status).toBe(400);
      expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
        'from',
        'grain',
        'segment',
      ]);
      const inverted = await series('nps', '?from=2025-03-01&to=2025-01-01');
      expect(inverted.status).toBe(400);
      const extra = await series('nps', '?colour=blue');
      expect(extra.status).toBe(400);
    });
  });
});
