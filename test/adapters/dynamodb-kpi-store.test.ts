import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KpiPoint, Segment } from '../../lambdas/kpis/kpi-point.js';
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
    pk: `kpi#${stored.metric}#${stored.grain}#plan=pro%20plus%3D%231`,
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
    await kpiStore.store.replacePeriods('nps', 'month', '0000-01-01', '9999-12-31', []);
  });

  it('stores a point as its key and one JSON attribute, and reads it back field for field', async () => {
    const points = [
      point({ period_start: '2025-01-01' }),
      point({
        period_start: '2025-02-01',
        value: -12.25,
        ci95: null,
        components: { promoters: 1, passives: null, detractors: 2 },
        change: null,
        change_significant: null,
        low_sample: true,
        complete: false,
      }),
    ];
    await kpiStore.store.replacePeriods('nps', 'month', '2025-01-01', '2025-02-01', points);

    expect(await kpiStore.store.series('nps', 'month', PRO_PLUS, '0000-01-01', '9999-12-31')).toEqual(points);
    const item = await rawItem('kpi#nps#month#plan=pro%20plus%3D%231', '2025-02-01');
    expect(Object.keys(item ?? {}).sort()).toEqual(['pk', 'point', 'sk']);
    expect(JSON.parse(item?.point as string)).toMatchObject({ value: -12.25, ci95: null, low_sample: true });
  });

  it('reads points stored one attribute per field, alone or mixed with JSON points, in period order', async () => {
    const legacy = [
      point({ period_start: '2024-11-01', value: 10, change: null, change_significant: null }),
      point({ period_start: '2024-12-01', value: 12, ci95: null, low_sample: true }),
    ];
    for (const stored of legacy) {
      await documents.send(new PutCommand({ TableName: LOCAL_KPI_TABLE, Item: attributeItem(stored) }));
    }
    const fresh = point({ period_start: '2025-01-01', value: 14 });
    await kpiStore.store.replacePeriods('nps', 'month', '2025-01-01', '2025-01-01', [fresh]);

    expect(await kpiStore.store.series('nps', 'month', PRO_PLUS, '0000-01-01', '9999-12-31')).toEqual([
      ...legacy,
      fresh,
    ]);
  });

  it('rewrites a point stored one attribute per field in the JSON layout when its period is recomputed', async () => {
    const legacy = point({ period_start: '2024-10-01', value: 8 });
    await documents.send(new PutCommand({ TableName: LOCAL_KPI_TABLE, Item: attributeItem(legacy) }));
    const recomputed = { ...legacy, value: 9, computed_at: '2025-03-16T00:00:00.000Z' };
    await kpiStore.store.replacePeriods('nps', 'month', '2024-10-01', '2024-10-01', [recomputed]);

    const item = await rawItem('kpi#nps#month#plan=pro%20plus%3D%231', '2024-10-01');
    expect(Object.keys(item ?? {}).sort()).toEqual(['pk', 'point', 'sk']);
    expect(await kpiStore.store.series('nps', 'month', PRO_PLUS, '2024-10-01', '2024-10-01')).toEqual([
      recomputed,
    ]);
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
