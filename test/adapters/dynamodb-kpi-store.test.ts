import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Grain, KpiPoint, Segment } from '../../lambdas/kpis/kpi-point.js';
import { localHome } from '../../lambdas/local/home.js';
import {
  LOCAL_KPI_TABLE,
  type LocalKpiStore,
  localDynamoDbClient,
  serveLocalKpiStore,
} from '../../lambdas/local/local-kpi-store.js';
import type { KpiSummary } from '../../lambdas/ports/kpi-store.js';
import { withTempHome } from '../support/temp-home.js';

const PRO_PLUS: Segment = { key: 'plan', value: 'pro plus=#1' };
/** How the store's keys spell PRO_PLUS. */
const SEGMENT_TOKEN = 'plan=pro%20plus%3D%231';

function point(overrides: Partial<KpiPoint> & Pick<KpiPoint, 'period_start'>): KpiPoint {
  return {
    metric: 'nps',
    grain: 'month',
    segment: PRO_PLUS,
    value: 41.5,
    n: 120,
    ci95: [30.25, 52.75],
    components: { promoters: 70, passives: 30, detractors: 20 },
    change: 3.5,
    change_significant: false,
    low_sample: false,
    complete: true,
    computed_at: '2025-03-15T12:00:00.000Z',
    ...overrides,
  };
}

/** How the adapter wrote a point before the `point` attribute: one attribute per field. */
function attributeItem(stored: KpiPoint): Record<string, unknown> {
  return {
    pk: `kpi#${stored.metric}#${stored.grain}#${SEGMENT_TOKEN}`,
    sk: stored.period_start,
    metric: stored.metric,
    grain: stored.grain,
    segment_key: stored.segment?.key,
    segment_value: stored.segment?.value,
    period_start: stored.period_start,
    value: stored.value,
    n: stored.n,
    ci_low: stored.ci95?.[0],
    ci_high: stored.ci95?.[1],
    components: stored.components,
    change: stored.change ?? undefined,
    change_significant: stored.change_significant ?? undefined,
    low_sample: stored.low_sample,
    complete: stored.complete,
    computed_at: stored.computed_at,
  };
}

describe('the DynamoDB KPI store on dynalite', () => {
  let home: Awaited<ReturnType<typeof withTempHome>>;
  let kpiStore: LocalKpiStore;
  let documents: DynamoDBDocumentClient;

  beforeAll(async () => {
    home = await withTempHome();
    kpiStore = await serveLocalKpiStore(localHome(home.root));
    documents = DynamoDBDocumentClient.from(localDynamoDbClient(kpiStore.endpoint), {
      marshallOptions: { removeUndefinedValues: true },
    });
  });

  afterAll(async () => {
    documents?.destroy();
    await kpiStore?.close();
    await home?.cleanup();
  });

  const rawItem = async (pk: string, sk: string) =>
    (await documents.send(new GetCommand({ TableName: LOCAL_KPI_TABLE, Key: { pk, sk } }))).Item;

  beforeEach(async () => {
    // Each test starts from no points of the series it uses.
    for (const grain of ['month', 'rolling_30d'] as const) {
      await kpiStore.store.replacePeriods('nps', grain, '0000-01-01', '9999-12-31', []);
    }
  });

  const series = (grain: Grain = 'month', from = '0000-01-01', to = '9999-12-31') =>
    kpiStore.store.series('nps', grain, PRO_PLUS, from, to);
  const putAttributeItems = async (points: readonly KpiPoint[]) => {
    for (const stored of points) {
      await documents.send(new PutCommand({ TableName: LOCAL_KPI_TABLE, Item: attributeItem(stored) }));
    }
  };
  const valuesOf = (points: readonly KpiPoint[]) => points.map((p) => [p.period_start, p.value]);

  it('stores a calendar series as one item of JSON points and reads them back field for field', async () => {
    const points = [
      point({ period_start: '2024-12-01' }),
      point({
        period_start: '2025-01-01',
        value: -12.25,
        ci95: null,
        components: { promoters: 1, passives: null, detractors: 2 },
        change: null,
        change_significant: null,
        low_sample: true,
        complete: false,
      }),
      point({ period_start: '2025-02-01', value: 3 }),
    ];
    await kpiStore.store.replacePeriods('nps', 'month', '2024-12-01', '2025-02-01', points);

    expect(await series()).toEqual(points);
    expect(await series('month', '2025-01-01', '2025-01-31')).toEqual([points[1]]);
    expect(await series('month', '2024-12-02', '2025-02-01')).toEqual(points.slice(1));
    const item = await rawItem(`kpi#nps#month#${SEGMENT_TOKEN}`, 'series');
    expect(Object.keys(item ?? {}).sort()).toEqual(['pk', 'points', 'revision', 'sk']);
    expect((JSON.parse(item?.points as string) as KpiPoint[]).map((p) => p.period_start)).toEqual([
      '2024-12-01',
      '2025-01-01',
      '2025-02-01',
    ]);
  });

  it('replaces only the recomputed periods of a calendar series, and deletes its item once empty', async () => {
    await kpiStore.store.replacePeriods('nps', 'month', '2024-11-01', '2025-03-01', [
      point({ period_start: '2024-11-01', value: 1 }),
      point({ period_start: '2025-01-01', value: 2 }),
      point({ period_start: '2025-02-01', value: 3 }),
      point({ period_start: '2025-03-01', value: 4 }),
    ]);
    // Recomputing January to March: the segment had no data in February after all, and March changed.
    const replaced = await kpiStore.store.replacePeriods('nps', 'month', '2025-01-01', '2025-03-01', [
      point({ period_start: '2025-01-01', value: 2 }),
      point({ period_start: '2025-03-01', value: 5 }),
    ]);

    expect(replaced).toEqual({ written: 2, deleted: 1 });
    expect(valuesOf(await series())).toEqual([
      ['2024-11-01', 1],
      ['2025-01-01', 2],
      ['2025-03-01', 5],
    ]);
    await kpiStore.store.replacePeriods('nps', 'month', '2024-01-01', '2025-12-01', []);
    expect(await series()).toEqual([]);
    expect(await rawItem(`kpi#nps#month#${SEGMENT_TOKEN}`, 'series')).toBeUndefined();
  });

  it('applies two runs that rewrite one calendar series at once one after the other, losing neither', async () => {
    await kpiStore.store.replacePeriods('nps', 'month', '2025-01-01', '2025-02-01', [
      point({ period_start: '2025-01-01', value: 1 }),
      point({ period_start: '2025-02-01', value: 2 }),
    ]);
    // Both read the series item before either writes it back.
    await Promise.all([
      kpiStore.store.replacePeriods('nps', 'month', '2025-01-01', '2025-01-01', [
        point({ period_start: '2025-01-01', value: 10 }),
      ]),
      kpiStore.store.replacePeriods('nps', 'month', '2025-02-01', '2025-02-01', [
        point({ period_start: '2025-02-01', value: 20 }),
      ]),
    ]);
    expect(valuesOf(await series())).toEqual([
      ['2025-01-01', 10],
      ['2025-02-01', 20],
    ]);
  });

  it('reads a series of the layout before from its point items, and folds them into the series item on the next run', async () => {
    const older = [
      point({ period_start: '2024-10-01', value: 8, change: null, change_significant: null }),
      point({ period_start: '2025-01-01', value: 9, ci95: null, low_sample: true }),
      point({ period_start: '2025-02-01', value: 10 }),
    ];
    await putAttributeItems(older);
    // Until an aggregation rewrites it, the series is read from its point items (no gap after an upgrade).
    expect(await series()).toEqual(older);

    // An incremental run recomputes February only; the older periods come along from their point items.
    const recomputed = { ...older[2]!, value: 11, computed_at: '2025-03-16T00:00:00.000Z' };
    await kpiStore.store.replacePeriods('nps', 'month', '2025-02-01', '2025-02-01', [recomputed]);

    expect(await series()).toEqual([older[0], older[1], recomputed]);
    for (const stored of older) {
      expect(await rawItem(`kpi#nps#month#${SEGMENT_TOKEN}`, stored.period_start)).toBeUndefined();
    }
  });

  it('stores a rolling grain one item per point, and reads the point items of the layout before', async () => {
    const older = point({ period_start: '2025-02-01', grain: 'rolling_30d', value: 7, ci95: null });
    await putAttributeItems([older]);
    const fresh = point({ period_start: '2025-02-02', grain: 'rolling_30d', value: 8, low_sample: true });
    await kpiStore.store.replacePeriods('nps', 'rolling_30d', '2025-02-02', '2025-02-02', [fresh]);

    expect(await series('rolling_30d')).toEqual([older, fresh]);
    expect(await series('rolling_30d', '2025-02-02', '2025-02-02')).toEqual([fresh]);
    const item = await rawItem(`kpi#nps#rolling_30d#${SEGMENT_TOKEN}`, '2025-02-02');
    expect(Object.keys(item ?? {}).sort()).toEqual(['pk', 'point', 'sk']);
  });

  it('stores the summary as one JSON attribute and still reads one stored as a map', async () => {
    const summary: KpiSummary = {
      grain: 'quarter',
      computed_at: '2025-03-15T12:00:00.000Z',
      metrics: {
        nps: {
          latest_complete: point({ period_start: '2024-10-01', grain: 'quarter', segment: null }),
          current: null,
        },
        csat: { latest_complete: null, current: null },
      },
    };
    await documents.send(
      new PutCommand({ TableName: LOCAL_KPI_TABLE, Item: { pk: 'summary#quarter', sk: 'current', summary } }),
    );
    expect(await kpiStore.store.summary('quarter')).toEqual(summary);

    const next = { ...summary, computed_at: '2025-03-16T12:00:00.000Z' };
    await kpiStore.store.putSummary(next);
    expect(await kpiStore.store.summary('quarter')).toEqual(next);
    const item = await rawItem('summary#quarter', 'current');
    expect(Object.keys(item ?? {}).sort()).toEqual(['pk', 'sk', 'summary_json']);
  });
});
