import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../lambdas/ports/clock.js';
import {
  accountUpdated,
  subscriptionCanceled,
  subscriptionChanged,
  subscriptionStarted,
} from '../support/events.js';
import { startTestApp, type TestApp } from '../support/local-app.js';

/**
 * A small subscription business, built by hand, whose revenue KPIs and cohorts were worked out by hand (the
 * arithmetic is in the comments). It goes through the real signed endpoint, the lake, DuckDB and dynalite, and is
 * read back over the real read API. "Active at t" means a subscription started before t and not ended by t.
 *
 *   account  plan   subscriptions (MRR)                                                        cohort
 *   alpha    pro    100 from 5 Dec; 150 from 10 Feb (expansion)                                Dec
 *   beta     pro    200 from 10 Dec; 120 from 15 Jan (contraction)                             Dec
 *   gamma    basic  50 from 15 Dec, cancellation scheduled 20 Jan for 14 Feb and sent again     Dec
 *                   on 14 Feb (churn in Feb); a new subscription of 60 from 10 Mar (reactivation)
 *   delta    basic  30 from 20 Dec; a second one of 20 from 5 Jan (expansion); the first ends   Dec
 *                   5 Mar and restarts at 40 on 20 Mar (within March: expansion, not churn)
 *   epsilon  —      80 from 12 Jan, ends 31 Mar (churn in Mar)                                 Jan
 *   eta      —      40 from 3 Jan, ends 25 Jan: in and out within January, no movement         Jan
 *   zeta     pro    300 from 3 Feb and a second one of 100 from 20 Feb (both new); the first   Feb
 *                   drops to 250 on 15 Mar (contraction)
 *
 * MRR at each month boundary (alpha, beta, gamma, delta, epsilon, zeta):
 *   1 Jan 100 200 50 30 – –        = 380   (4 accounts)
 *   1 Feb 100 120 50 50 80 –       = 400   (5)
 *   1 Mar 150 120 –  50 80 400     = 800   (5)
 *   1 Apr 150 120 60 60 –  350     = 740   (5)
 */
const NOW = new Date('2025-04-01T00:00:00Z');

const accounts = [
  accountUpdated('acc-alpha', 'alpha', '2024-12-01T00:00:00Z', { plan: 'pro' }),
  accountUpdated('acc-beta', 'beta', '2024-12-01T00:00:00Z', { plan: 'pro' }),
  accountUpdated('acc-gamma', 'gamma', '2024-12-01T00:00:00Z', { plan: 'basic' }),
  accountUpdated('acc-delta', 'delta', '2024-12-01T00:00:00Z', { plan: 'basic' }),
  accountUpdated('acc-zeta', 'zeta', '2025-02-01T00:00:00Z', { plan: 'pro' }),
];

const alphaExpands = subscriptionChanged('alpha-up', 'alpha', 150, '2025-02-10T00:00:00Z');
const subscriptions = [
  subscriptionStarted('alpha-start', 'alpha', 100, '2024-12-05T00:00:00Z'),
  alphaExpands,
  subscriptionStarted('beta-start', 'beta', 200, '2024-12-10T00:00:00Z'),
  subscriptionChanged('beta-down', 'beta', 120, '2025-01-15T00:00:00Z'),
  subscriptionStarted('gamma-start', 'gamma', 50, '2024-12-15T00:00:00Z'),
  subscriptionCanceled('gamma-cancel-scheduled', 'gamma', '2025-01-20T00:00:00Z', '2025-02-14T00:00:00Z'),
  subscriptionCanceled('gamma-cancel-ended', 'gamma', '2025-02-14T00:00:00Z', '2025-02-14T00:00:00Z'),
  subscriptionStarted('gamma-2-start', 'gamma', 60, '2025-03-10T00:00:00Z', { subscription_id: 'gamma-2' }),
  subscriptionStarted('delta-start', 'delta', 30, '2024-12-20T00:00:00Z'),
  subscriptionStarted('delta-2-start', 'delta', 20, '2025-01-05T00:00:00Z', { subscription_id: 'delta-2' }),
  subscriptionCanceled('delta-cancel', 'delta', '2025-03-05T00:00:00Z'),
  subscriptionStarted('delta-restart', 'delta', 40, '2025-03-20T00:00:00Z'),
  subscriptionStarted('epsilon-start', 'epsilon', 80, '2025-01-12T00:00:00Z'),
  subscriptionCanceled('epsilon-cancel', 'epsilon', '2025-03-03T00:00:00Z', '2025-03-31T00:00:00Z'),
  subscriptionStarted('eta-start', 'eta', 40, '2025-01-03T00:00:00Z'),
  subscriptionCanceled('eta-cancel', 'eta', '2025-01-10T00:00:00Z', '2025-01-25T00:00:00Z'),
  subscriptionStarted('zeta-start', 'zeta', 300, '2025-02-03T00:00:00Z'),
  subscriptionStarted('zeta-2-start', 'zeta', 100, '2025-02-20T00:00:00Z', { subscription_id: 'zeta-2' }),
  subscriptionChanged('zeta-down', 'zeta', 250, '2025-03-15T00:00:00Z'),
];

type Point = { period_start: string; value: number; n: number; components: Record<string, number> };

describe('revenue KPIs and cohorts of a hand-built business (known answers)', () => {
  let app: TestApp;

  const get = async (path: string): Promise<{ status: number; body: any }> => {
    const response = await fetch(`${app.url}${path}`);
    return { status: response.status, body: await response.json() };
  };
  const point = async (metric: string, period: string, query = '?grain=month'): Promise<Point | undefined> =>
    (await get(`/v1/kpis/${metric}${query}`)).body.points.find((p: Point) => p.period_start === period);

  beforeAll(async () => {
    app = await startTestApp({ clock: fixedClock(NOW) });
    const post = async (events: unknown[], id: string) => {
      const response = await app.postGeneric({ events }, { id, sentAt: NOW });
      expect(response.status).toBe(202);
    };
    await post(accounts, 'delivery-accounts');
    await post(subscriptions, 'delivery-subscriptions');
    // A sender's retry of alpha's upgrade under a new delivery id: it must count once.
    await post([alphaExpands], 'delivery-retry');
    await app.aggregator.run({ backfill: true });
  });
  afterAll(async () => app.stop());

  describe('mrr', () => {
    it('December: four new accounts, 100 + 200 + 50 + 30', async () => {
      expect(await point('mrr', '2024-12-01')).toMatchObject({
        n: 4,
        value: 380,
        components: {
          mrr_at_start: 0,
          new_mrr: 380,
          expansion_mrr: 0,
          contraction_mrr: 0,
          churned_mrr: 0,
          reactivation_mrr: 0,
        },
      });
    });

    it('January: epsilon new (80), delta’s second subscription (+20), beta’s downgrade (−80); eta in and out', async () => {
      // 380 + 80 + 20 − 80 = 400; n: alpha, beta, gamma, delta, epsilon.
      expect(await point('mrr', '2025-01-01')).toMatchObject({
        n: 5,
        value: 400,
        components: {
          mrr_at_start: 380,
          new_mrr: 80,
          expansion_mrr: 20,
          contraction_mrr: 0 + 80,
          churned_mrr: 0,
          reactivation_mrr: 0,
        },
      });
    });

    it('February: zeta new with two subscriptions (400), alpha +50, gamma’s twice-sent cancellation churns 50', async () => {
      // 400 + 400 + 50 − 50 = 800
      expect(await point('mrr', '2025-02-01')).toMatchObject({
        n: 6,
        value: 800,
        components: {
          mrr_at_start: 400,
          new_mrr: 400,
          expansion_mrr: 50,
          contraction_mrr: 0,
          churned_mrr: 50,
          reactivation_mrr: 0,
        },
      });
    });

    it('March (current): gamma reactivates (60), delta restarts higher (+10), zeta −50, epsilon churns 80', async () => {
      // 800 + 10 − 50 − 80 + 60 = 740
      const march = await point('mrr', '2025-03-01');
      expect(march).toMatchObject({
        n: 6,
        value: 740,
        components: {
          mrr_at_start: 800,
          new_mrr: 0,
          expansion_mrr: 10,
          contraction_mrr: 50,
          churned_mrr: 80,
          reactivation_mrr: 60,
        },
      });
      expect((march as unknown as { complete: boolean }).complete).toBe(false);
    });

    it('the first quarter nets each account over the quarter: gamma’s churn and return is +10', async () => {
      // Start 1 Jan 380, end 1 Apr 740. alpha +50, gamma 50 → 60 +10, delta 30 → 60 +30: expansion 90;
      // beta −80; zeta new 350; epsilon and eta were neither active at the start nor at the end.
      expect(await point('mrr', '2025-01-01', '?grain=quarter')).toMatchObject({
        n: 5,
        value: 740,
        components: {
          mrr_at_start: 380,
          new_mrr: 350,
          expansion_mrr: 90,
          contraction_mrr: 80,
          churned_mrr: 0,
          reactivation_mrr: 0,
        },
      });
    });

    it('by plan in March: pro loses zeta’s 50; basic gains delta’s 10 and gamma’s 60', async () => {
      expect(await point('mrr', '2025-03-01', '?grain=month&segment=plan:pro')).toMatchObject({
        n: 3,
        value: 620,
        components: { mrr_at_start: 670, contraction_mrr: 50, churned_mrr: 0 },
      });
      expect(await point('mrr', '2025-03-01', '?grain=month&segment=plan:basic')).toMatchObject({
        n: 2,
        value: 120,
        components: { mrr_at_start: 50, expansion_mrr: 10, reactivation_mrr: 60, new_mrr: 0 },
      });
    });
  });

  describe('active_accounts', () => {
    it('counts accounts at each month’s end with their logo movements', async () => {
      // Jan: 4 + epsilon = 5; Feb: 5 + zeta − gamma = 5; Mar: 5 + gamma (back) − epsilon = 5.
      expect(await point('active_accounts', '2025-01-01')).toMatchObject({
        value: 5,
        components: { accounts_at_start: 4, new_accounts: 1, reactivated_accounts: 0, churned_accounts: 0 },
      });
      expect(await point('active_accounts', '2025-02-01')).toMatchObject({
        value: 5,
        components: { accounts_at_start: 5, new_accounts: 1, reactivated_accounts: 0, churned_accounts: 1 },
      });
      expect(await point('active_accounts', '2025-03-01')).toMatchObject({
        value: 5,
        components: { accounts_at_start: 5, new_accounts: 0, reactivated_accounts: 1, churned_accounts: 1 },
      });
    });
  });

  describe('MRR churn and retention rates', () => {
    it('have no point in December, whose start MRR is 0', async () => {
      for (const metric of ['gross_mrr_churn_rate', 'net_mrr_churn_rate', 'grr', 'nrr']) {
        expect(await point(metric, '2024-12-01')).toBeUndefined();
      }
    });

    it('January: start 380; contraction 80, expansion 20', async () => {
      const gross = await point('gross_mrr_churn_rate', '2025-01-01');
      expect(gross).toMatchObject({
        n: 4,
        components: { mrr_at_start: 380, churned_mrr: 0, contraction_mrr: 80 },
      });
      expect(gross!.value).toBeCloseTo((100 * 80) / 380, 9); // 21.05
      expect((await point('net_mrr_churn_rate', '2025-01-01'))!.value).toBeCloseTo(
        (100 * (80 - 20)) / 380,
        9,
      );
      expect((await point('grr', '2025-01-01'))!.value).toBeCloseTo((100 * (380 - 80)) / 380, 9); // 78.95
      expect((await point('nrr', '2025-01-01'))!.value).toBeCloseTo((100 * (380 + 20 - 80)) / 380, 9); // 84.21
    });

    it('February: start 400; churn 50 offset in net by expansion 50; new business counts in neither', async () => {
      expect(await point('gross_mrr_churn_rate', '2025-02-01')).toMatchObject({ n: 5, value: 12.5 });
      expect(await point('net_mrr_churn_rate', '2025-02-01')).toMatchObject({ value: 0 });
      expect(await point('grr', '2025-02-01')).toMatchObject({ n: 5, value: 87.5 });
      expect(await point('nrr', '2025-02-01')).toMatchObject({ value: 100 });
    });

    it('March: start 800; churn 80, contraction 50, expansion 10, reactivation 60', async () => {
      expect(await point('gross_mrr_churn_rate', '2025-03-01')).toMatchObject({ value: 16.25 }); // 130 / 800
      const net = await point('net_mrr_churn_rate', '2025-03-01');
      expect(net).toMatchObject({
        value: 7.5, // (80 + 50 − 10 − 60) / 800
        components: { churned_mrr: 80, contraction_mrr: 50, expansion_mrr: 10, reactivation_mrr: 60 },
      });
      expect(await point('grr', '2025-03-01')).toMatchObject({ value: 83.75 }); // (800 − 50 − 80) / 800
      // NRR leaves gamma's reactivation out: (800 + 10 − 50 − 80) / 800.
      expect(await point('nrr', '2025-03-01')).toMatchObject({ value: 85 });
    });

    it('the first quarter: NRR (380 + 90 − 80) / 380 above 100', async () => {
      expect((await point('nrr', '2025-01-01', '?grain=quarter'))!.value).toBeCloseTo((100 * 390) / 380, 9);
      expect((await point('grr', '2025-01-01', '?grain=quarter'))!.value).toBeCloseTo((100 * 300) / 380, 9);
    });

    it('by segment: basic’s net churn is negative, pro’s GRR and NRR agree without expansion', async () => {
      // basic in March: start delta 50; expansion 10 and gamma's reactivation 60: (0 − 10 − 60) / 50.
      expect(
        await point('net_mrr_churn_rate', '2025-03-01', '?grain=month&segment=plan:basic'),
      ).toMatchObject({
        n: 1,
        value: -140,
      });
      // basic in January: start gamma 50 + delta 30 = 80, delta +20: NRR 100 / 80.
      expect(await point('nrr', '2025-01-01', '?grain=month&segment=plan:basic')).toMatchObject({
        n: 2,
        value: 125,
      });
      // pro in March: start 150 + 120 + 400 = 670, zeta −50.
      const grr = await point('grr', '2025-03-01', '?grain=month&segment=plan:pro');
      const nrr = await point('nrr', '2025-03-01', '?grain=month&segment=plan:pro');
      expect(grr!.n).toBe(3);
      expect(grr!.value).toBeCloseTo((100 * 620) / 670, 9);
      expect(nrr!.value).toBeCloseTo(grr!.value, 9);
    });

    it('are in the current KPIs', async () => {
      const { body } = await get('/v1/kpis');
      expect(body.metrics.mrr).toMatchObject({
        unit: 'currency',
        latest_complete: { period_start: '2025-02-01', value: 800 },
        current: { period_start: '2025-03-01', value: 740, complete: false },
      });
      expect(body.metrics.active_accounts.unit).toBe('count');
      expect(body.metrics.nrr.latest_complete).toMatchObject({ value: 100 });
    });
  });

  describe('cohorts', () => {
    it('logo: the percent of each start-month cohort still active at the end of each month since', async () => {
      const { status, body } = await get('/v1/cohorts/logo');
      expect(status).toBe(200);
      expect(body).toMatchObject({ kind: 'logo', segment: null });
      expect(body.cohorts).toEqual([
        // alpha, beta, gamma, delta: gamma is gone on 1 Mar and back by 1 Apr.
        { cohort: '2024-12', size: 4, retention: [100, 100, 75, 100] },
        // epsilon and eta: eta left within January, epsilon on 31 March.
        { cohort: '2025-01', size: 2, retention: [50, 50, 0] },
        { cohort: '2025-02', size: 1, retention: [100, 100] },
      ]);
    });

    it('revenue: the cohort’s MRR at each month’s end over its new-business MRR', async () => {
      const { body } = await get('/v1/cohorts/revenue');
      expect(body.kind).toBe('revenue');
      const [december, january, february] = body.cohorts;
      // Starting MRR: what each account's first subscription started at: 100 + 200 + 50 + 30 (delta's second
      // subscription came later: expansion). Then 380, 320, 320, 390 at the ends of Dec, Jan, Feb, Mar.
      expect(december).toMatchObject({ cohort: '2024-12', size: 4, starting_mrr: 380 });
      expect(december.retention).toHaveLength(4);
      [380, 320, 320, 390].forEach((mrr, k) => {
        expect(december.retention[k]).toBeCloseTo((100 * mrr) / 380, 9);
      });
      // epsilon 80 + eta 40 = 120; then 80, 80, 0.
      expect(january).toMatchObject({ cohort: '2025-01', size: 2, starting_mrr: 120 });
      [80, 80, 0].forEach((mrr, k) => {
        expect(january.retention[k]).toBeCloseTo((100 * mrr) / 120, 9);
      });
      // zeta started at 300; its second subscription (100) later in February is expansion: 400, then 350.
      expect(february).toMatchObject({ cohort: '2025-02', size: 1, starting_mrr: 300 });
      expect(february.retention[0]).toBeCloseTo((100 * 400) / 300, 9);
      expect(february.retention[1]).toBeCloseTo((100 * 350) / 300, 9);
    });

    it('by segment: basic’s December cohort is gamma and delta', async () => {
      const logo = await get('/v1/cohorts/logo?segment=plan:basic');
      expect(logo.body).toMatchObject({ segment: { key: 'plan', value: 'basic' } });
      expect(logo.body.cohorts).toEqual([{ cohort: '2024-12', size: 2, retention: [100, 100, 50, 100] }]);
      // Starting 50 + 30 = 80; then 80, 100, 50, 120.
      const revenue = await get('/v1/cohorts/revenue?segment=plan:basic');
      expect(revenue.body.cohorts).toEqual([
        { cohort: '2024-12', size: 2, starting_mrr: 80, retention: [100, 125, 62.5, 150] },
      ]);
    });

    it('filters cohorts by month and answers mistakes with problems', async () => {
      const january = await get('/v1/cohorts/logo?from=2025-01&to=2025-01-31');
      expect(january.body.cohorts.map((c: { cohort: string }) => c.cohort)).toEqual(['2025-01']);
      const none = await get('/v1/cohorts/revenue?segment=plan:nope');
      expect(none).toMatchObject({ status: 200, body: { cohorts: [] } });
      const unknown = await get('/v1/cohorts/happiness');
      expect(unknown.status).toBe(404);
      expect(unknown.body.detail).toContain('logo');
      const bad = await get('/v1/cohorts/logo?from=2025-13&segment=plan&grain=month');
      expect(bad.status).toBe(400);
      expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
        '(root)',
        'from',
        'segment',
      ]);
      const inverted = await get('/v1/cohorts/logo?from=2025-03&to=2025-01');
      expect(inverted.status).toBe(400);
    });

    // Last: it changes the data the tests above read.
    it('drops the cohort tables of a segment its accounts left, on the next (incremental) run', async () => {
      const moved = [
        accountUpdated('acc-gamma-2', 'gamma', '2025-03-20T00:00:00Z', { plan: 'pro' }),
        accountUpdated('acc-delta-2', 'delta', '2025-03-20T00:00:00Z', { plan: 'pro' }),
      ];
      expect((await app.postGeneric({ events: moved }, { id: 'delivery-moved', sentAt: NOW })).status).toBe(
        202,
      );
      await app.aggregator.run();
      expect((await get('/v1/cohorts/logo?segment=plan:basic')).body.cohorts).toEqual([]);
      expect((await get('/v1/cohorts/revenue?segment=plan:basic')).body.cohorts).toEqual([]);
      // pro's December cohort is now alpha, beta, gamma and delta: all accounts' December cohort.
      expect((await get('/v1/cohorts/logo?segment=plan:pro')).body.cohorts[0]).toEqual({
        cohort: '2024-12',
        size: 4,
        retention: [100, 100, 75, 100],
      });
    });
  });
});
