import {
  AthenaClient,
  type ColumnInfo,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type Row,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AthenaSqlEngine } from '../../lambdas/adapters/athena-sql-engine.js';
import { S3ObjectStore } from '../../lambdas/adapters/s3-object-store.js';
import {
  type AggregationSummary,
  createAggregateKpisHandler,
} from '../../lambdas/handlers/aggregate-kpis.js';
import { isoDate } from '../../lambdas/kpis/kpi-point.js';
import { localHome } from '../../lambdas/local/home.js';
import { type LocalKpiStore, serveLocalKpiStore } from '../../lambdas/local/local-kpi-store.js';
import { fixedClock } from '../../lambdas/ports/clock.js';
import { aggregationDependenciesFromEnvironment } from '../../lambdas/runtime/analytics-environment.js';
import { MATERIALIZED_VIEWS, VIEWS } from '../../queries/registry.js';
import { capturedObservability } from '../support/captured-observability.js';
import { type LocalS3, startLocalS3 } from '../support/s3rver.js';
import { withTempHome } from '../support/temp-home.js';

const BUCKET = 'cs-pulse-lake-aggregate';
const DAY_MS = 24 * 3600 * 1000;

/**
 * The survey query's result set as Athena sends it, with NPS's columns only (every value as text, booleans
 * `true`/`false`, NULL as no value): surveys.sql serves NPS from its nps_ columns.
 */
const NPS_COLUMNS: ColumnInfo[] = [
  ['period_start', 'date'],
  ['segment_key', 'varchar'],
  ['segment_value', 'varchar'],
  ['nps_n', 'bigint'],
  ['nps_value', 'double'],
  ['nps_ci_low', 'double'],
  ['nps_ci_high', 'double'],
  ['nps_change', 'double'],
  ['nps_change_significant', 'boolean'],
  ['nps_low_sample', 'boolean'],
  ['promoters', 'bigint'],
  ['passives', 'bigint'],
  ['detractors', 'bigint'],
].map(([Name, Type]) => ({ Name, Label: Name, Type }));

const row = (...cells: (string | null)[]): Row => ({
  Data: cells.map((cell) => (cell === null ? {} : { VarCharValue: cell })),
});

function npsRows(previousMonth: string, currentMonth: string): Row[] {
  return [
    row(...NPS_COLUMNS.map((column) => column.Name!)),
    row(previousMonth, null, null, '12', '25.0', '-10.5', '55.25', null, null, 'true', '5', '5', '2'),
    row(currentMonth, null, null, '40', '60.0', '45.0', '72.5', '35.0', 'true', 'false', '26', '10', '4'),
    row(currentMonth, 'plan', 'pro', '40', '60.0', '45.0', '72.5', '35.0', 'false', 'false', '26', '10', '4'),
  ];
}

/**
 * The aggregate Lambda as it runs on AWS: the lake on a real S3 API (s3rver), KPIs into a real DynamoDB API
 * (dynalite), and Athena mocked at the SDK boundary (there is no local Athena): every statement the aggregation sends
 * is recorded and answered, the NPS query with a result set typed as Athena types it.
 */
describe('aggregate KPIs handler on the AWS adapters', () => {
  let localS3: LocalS3;
  let home: Awaited<ReturnType<typeof withTempHome>>;
  let kpiStore: LocalKpiStore;
  const athenaClient = new AthenaClient({ region: 'eu-west-1' });
  const athena = mockClient(athenaClient);
  const statements: { sql: string; parameters: string[] }[] = [];
  // Near real time, just after the lake object was written: S3 dates objects by the real clock, and the modes
  // compare the two.
  const clock = fixedClock(new Date());
  let start = new Date();
  const dataDay = isoDate(new Date(Date.now() - 100 * DAY_MS));
  const dataMonth = `${dataDay.slice(0, 7)}-01`;
  let invoke: (event: unknown) => Promise<AggregationSummary>;
  const observability = capturedObservability();
  const { published } = observability;

  beforeAll(async () => {
    localS3 = await startLocalS3();
    await localS3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const lake = new S3ObjectStore({ bucket: BUCKET, client: localS3.client });
    await lake.putObjects([{ key: `tables/survey_responses/dt=${dataDay}/generic-k1.jsonl`, body: '{}\n' }]);
    start = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000);
    clock.set(start);
    home = await withTempHome();
    kpiStore = await serveLocalKpiStore(localHome(home.root));
    const handler = createAggregateKpisHandler(
      async () => ({
        engine: new AthenaSqlEngine({
          client: athenaClient,
          workGroup: 'cs-pulse-test',
          database: 'cs_pulse_test',
          sleep: async () => {},
          materializedViews: MATERIALIZED_VIEWS,
          now: () => clock.now().getTime(),
        }),
        lake,
        store: kpiStore.store,
        clock,
        backfillDays: 3,
        lowSampleMin: 30,
        churnHorizonDays: 90,
      }),
      observability,
    );
    invoke = (event) => handler(event, {} as Context);
  });

  afterAll(async () => {
    await kpiStore?.close();
    await home?.cleanup();
    await localS3?.stop();
  });

  beforeEach(() => {
    statements.length = 0;
    athena.reset();
    let next = 0;
    const byId = new Map<string, string>();
    athena.on(StartQueryExecutionCommand).callsFake((input) => {
      const id = `q-${++next}`;
      byId.set(id, input.QueryString);
      statements.push({ sql: input.QueryString, parameters: input.ExecutionParameters ?? [] });
      return { QueryExecutionId: id };
    });
    athena.on(GetQueryExecutionCommand).callsFake((input) => ({
      QueryExecution: { QueryExecutionId: input.QueryExecutionId, Status: { State: 'SUCCEEDED' } },
    }));
    athena.on(GetQueryResultsCommand).callsFake((input) => {
      const sql = byId.get(input.QueryExecutionId)!;
      const month = isoDate(new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1)));
      const previous = isoDate(new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() - 1, 1)));
      if (sql.startsWith('SHOW TABLES')) {
        return {
          ResultSet: {
            ResultSetMetadata: { ColumnInfo: [{ Name: 'tab_name', Type: 'varchar' }] },
            Rows: [row(staleSnapshot()), row(liveSnapshot())],
          },
        };
      }
      if (sql.startsWith('-- Survey KPIs') && kpiSettings(sql)?.grain === "'month'") {
        return {
          ResultSet: { ResultSetMetadata: { ColumnInfo: NPS_COLUMNS }, Rows: npsRows(previous, month) },
        };
      }
      return { ResultSet: { ResultSetMetadata: { ColumnInfo: [] }, Rows: [] } };
    });
  });

  // Snapshot tables another run left: one two hours old (a crashed run), one from a run still going.
  const staleSnapshot = () =>
    `cs_pulse_snapshot_${(clock.now().getTime() - 2 * 3600_000).toString(36)}_crash1_all_subscriptions`;
  const liveSnapshot = () =>
    `cs_pulse_snapshot_${(clock.now().getTime() - 600_000).toString(36)}_other1_all_subscriptions`;

  // A KPI query's grain and first period sit in its params CTE, which Athena cannot parameterize: the engine writes
  // them in as literals (the dt bounds in WHERE stay ExecutionParameters).
  const kpiSettings = (sql: string) => {
    const match = /CAST\(('[^']*') AS VARCHAR\) AS grain, CAST\(('[^']*') AS DATE\) AS period_from/.exec(sql);
    return match ? { grain: match[1], periodFrom: match[2] } : undefined;
  };
  const npsPeriodFrom = () =>
    kpiSettings(
      statements.findLast(
        (statement) =>
          statement.sql.startsWith('-- Survey KPIs') && kpiSettings(statement.sql)?.grain === "'month'",
      )!.sql,
    )!.periodFrom;

  it('creates the views, runs every query in the workgroup, and stores Athena’s booleans as booleans', async () => {
    published.length = 0;
    const summary = await invoke({ mode: 'incremental' });
    // The run's CloudWatch metrics, in embedded metric format: one flush with the points it wrote.
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'CsPulseTest', Dimensions: [['service']] }] },
      service: 'cs-pulse-test',
      mode: 'incremental',
      KpiPointsWritten: summary.points,
      AggregationDuration: summary.seconds,
    });
    expect(summary.points).toBeGreaterThan(0);

    // A first run: everything is new. (`from` is the earliest period of any grain: a quarter may start earlier.)
    expect(summary).toMatchObject({ mode: 'incremental', from: expect.stringMatching(/^\d{4}-\d{2}-01$/) });
    expect(npsPeriodFrom()).toBe(`'${dataMonth}'`);
    expect(
      statements.filter((statement) => statement.sql.includes('CREATE OR REPLACE VIEW cs_pulse_test.')),
    ).toHaveLength(10);
    for (const call of athena.commandCalls(StartQueryExecutionCommand)) {
      expect(call.args[0].input).toMatchObject({
        WorkGroup: 'cs-pulse-test',
        QueryExecutionContext: { Database: 'cs_pulse_test' },
      });
    }
    const month = isoDate(new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1)));
    const previous = isoDate(new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() - 1, 1)));
    const points = await kpiStore.store.series('nps', 'month', null, previous, month);
    expect(
      points.map(({ change, change_significant, low_sample, n }) => ({
        change,
        change_significant,
        low_sample,
        n,
      })),
    ).toEqual([
      { change: null, change_significant: null, low_sample: true, n: 12 },
      { change: 35, change_significant: true, low_sample: false, n: 40 },
    ]);
    expect(points[0]!.ci95).toEqual([-10.5, 55.25]);
    expect(points[1]!.components).toEqual({ promoters: 26, passives: 10, detractors: 4 });
    const [pro] = await kpiStore.store.series('nps', 'month', { key: 'plan', value: 'pro' }, month, month);
    expect(pro).toMatchObject({ change_significant: false, low_sample: false });
    expect((await kpiStore.store.summary('month'))?.metrics.nps?.current).toMatchObject({
      change_significant: true,
    });
  });

  it('materializes the history views once per run, reads them in the queries after, and drops them at the end', async () => {
    await invoke({});
    const sql = statements.map((statement) => statement.sql);
    const created = sql.filter((text) => text.startsWith('CREATE TABLE cs_pulse_test.cs_pulse_snapshot_'));
    const tableOf = (view: string) =>
      created
        .find((text) => text.includes(`_${view} WITH`))
        ?.match(/^CREATE TABLE cs_pulse_test\.(cs_pulse_snapshot_\w+) WITH/)?.[1];
    // In dependency order, only the views read over their whole history, after all the views were (re)defined.
    const materialized = created.map(
      (text) =>
        /^CREATE TABLE cs_pulse_test\.cs_pulse_snapshot_[0-9a-z]+_[0-9a-z]+_(\w+) WITH/.exec(text)?.[1],
    );
    expect(materialized).toEqual([...MATERIALIZED_VIEWS]);
    expect(sql.findIndex((text) => text.startsWith('CREATE TABLE'))).toBeGreaterThan(
      sql.findLastIndex((text) => text.includes('CREATE OR REPLACE VIEW')),
    );
    // Each snapshot is built from the ones before it: subscription_intervals from unique_subscriptions' table. The
    // first reads the lake through the all_subscriptions union, which is not copied on its own.
    const intervals = created.find((text) => text.includes('_subscription_intervals WITH'))!;
    expect(intervals).toContain(`cs_pulse_test.${tableOf('unique_subscriptions')}`);
    expect(intervals).not.toMatch(/cs_pulse_test\.unique_subscriptions\b/);
    const unique = created.find((text) => text.includes('_unique_subscriptions WITH'))!;
    expect(unique).toMatch(/cs_pulse_test\.all_subscriptions\b/);
    // The KPI queries read the snapshots, the survey KPIs too: one copy a run instead of each query opening today's
    // small JSON objects again.
    const revenue = sql.find((text) => text.startsWith('-- Revenue KPIs'))!;
    expect(revenue).not.toMatch(
      /cs_pulse_test\.(unique_subscriptions|subscription_intervals|subscription_prices|account_activity|account_segments)\b/,
    );
    expect(revenue).toContain(`cs_pulse_test.${tableOf('account_segments')}`);
    const surveys = sql.find((text) => text.startsWith('-- Survey KPIs'))!;
    expect(surveys).not.toMatch(/cs_pulse_test\.unique_survey_responses\b/);
    expect(surveys).toContain(`cs_pulse_test.${tableOf('unique_survey_responses')}`);
    expect(surveys).toContain(`cs_pulse_test.${tableOf('account_segments')}`);
    // The survey snapshot reads the lake through its union, fresh JSON and Parquet copy alike, from the lake's
    // earliest partition on (Athena would otherwise list every projected day since lakeStartDate).
    expect(created.find((text) => text.includes('_unique_survey_responses WITH'))).toContain(
      `FROM (SELECT * FROM cs_pulse_test.all_survey_responses WHERE dt >= '${dataDay}') r`,
    );
    for (const text of created)
      expect(text.replace(/\(SELECT \* FROM cs_pulse_test\.all_\w+ WHERE dt >= '[\d-]+'\)/g, '')).not.toMatch(
        /cs_pulse_test\.all_/,
      );
    // Dropped at the end: this run's snapshots and the crashed run's, not the one of a run still going.
    const dropped = sql.filter((text) => text.startsWith('DROP TABLE IF EXISTS'));
    expect(dropped.sort()).toEqual(
      [
        ...created.map(
          (text) =>
            `DROP TABLE IF EXISTS cs_pulse_test.${/^CREATE TABLE cs_pulse_test\.(\w+)/.exec(text)![1]}`,
        ),
        `DROP TABLE IF EXISTS cs_pulse_test.${staleSnapshot()}`,
      ].sort(),
    );
  });

  it('defines the views afresh on the next run, never against the last run’s snapshots', async () => {
    await invoke({});
    const definitions = statements.filter((statement) => statement.sql.includes('CREATE OR REPLACE VIEW'));
    expect(definitions).toHaveLength(VIEWS.length);
    for (const definition of definitions) expect(definition.sql).not.toContain('cs_pulse_snapshot_');
  });

  it('recomputes only the periods time moves when nothing was written since the last run', async () => {
    clock.set(new Date(start.getTime() + 3600_000));
    const summary = await invoke({});
    const previous = isoDate(new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() - 1, 1)));
    expect(summary.mode).toBe('incremental');
    expect(npsPeriodFrom()).toBe(`'${previous}'`);
  });

  it('backfill recomputes the periods of data written in the last days again, and only those', async () => {
    clock.set(new Date(start.getTime() + 2 * 3600_000));
    await invoke({ mode: 'backfill' });
    expect(npsPeriodFrom()).toBe(`'${dataMonth}'`);

    // Four days on, the object is older than the three-day window: a backfill is back to the recent periods.
    clock.set(new Date(start.getTime() + 4 * DAY_MS));
    await invoke({ mode: 'backfill' });
    const month = new Date(start.getTime() + 4 * DAY_MS);
    const previous = isoDate(new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() - 1, 1)));
    expect(npsPeriodFrom()).toBe(`'${previous}'`);
  });

  it('full recomputes every period the lake has', async () => {
    clock.set(new Date(start.getTime() + 5 * DAY_MS));
    await invoke({ mode: 'full' });
    expect(npsPeriodFrom()).toBe(`'${dataMonth}'`);
  });

  it('throws when Athena fails a statement, so the invocation is retried and then dead-lettered', async () => {
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        QueryExecutionId: 'q-1',
        Status: { State: 'FAILED', AthenaError: { ErrorMessage: 'TABLE_NOT_FOUND: all_subscriptions' } },
      },
    });
    const watermark = await kpiStore.store.watermark();
    await expect(invoke({})).rejects.toThrow(/TABLE_NOT_FOUND/);
    // The watermark stays: the next run redoes what this one could not.
    expect(await kpiStore.store.watermark()).toEqual(watermark);
  });

  it('refuses an unknown mode, so a mistyped schedule fails loudly (and lands in the DLQ)', async () => {
    await expect(invoke({ mode: 'everything' })).rejects.toThrow(/mode/);
    expect(statements).toEqual([]);
  });
});

describe('the aggregate Lambda’s environment', () => {
  const env = {
    CS_PULSE_LAKE_BUCKET: 'cs-pulse-lake',
    CS_PULSE_ATHENA_WORKGROUP: 'cs-pulse-dev',
    CS_PULSE_GLUE_DATABASE: 'cs_pulse_dev',
    CS_PULSE_KPI_TABLE: 'CsPulse-dev-KpiStoreTable',
    AWS_REGION: 'eu-west-1',
  };

  it('reads the workgroup, database, bucket and table the stack sets, with the defaults for the rest', async () => {
    const deps = await aggregationDependenciesFromEnvironment(env);
    expect(deps.engine).toMatchObject({ name: 'athena', database: 'cs_pulse_dev' });
    expect(deps.lake).toMatchObject({ bucket: 'cs-pulse-lake' });
    expect(deps).toMatchObject({ backfillDays: 3, lowSampleMin: 30, churnHorizonDays: 90 });
  });

  it('gives the Athena client 8 adaptive attempts, so a throttled StartQueryExecution does not end the run', async () => {
    const deps = await aggregationDependenciesFromEnvironment(env);
    // The client is the engine's own: read it where the engine keeps it.
    const { client } = deps.engine as unknown as { client: AthenaClient };
    expect(await client.config.maxAttempts()).toBe(8);
    expect(await client.config.retryStrategy()).toMatchObject({ mode: 'adaptive' });
  });

  it('names the variable that is missing or wrong', async () => {
    const { CS_PULSE_KPI_TABLE: _, ...withoutTable } = env;
    await expect(aggregationDependenciesFromEnvironment(withoutTable)).rejects.toThrow(/CS_PULSE_KPI_TABLE/);
    await expect(
      aggregationDependenciesFromEnvironment({ ...env, CS_PULSE_GLUE_DATABASE: 'x; DROP' }),
    ).rejects.toThrow(/CS_PULSE_GLUE_DATABASE/);
  });
});
