import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { WEBHOOK_SOURCES } from '../lambdas/sources/registry.js';
import { ALL_QUERIES } from '../queries/registry.js';
import { AnalyticsWorkgroup } from './analytics-workgroup.js';
import type { CsPulseConfig } from './config.js';
import { DataLake } from './data-lake.js';
import { PublicHttpApi } from './http-api.js';
import { KpiAggregation } from './kpi-aggregation.js';
import { KpiStore } from './kpi-store.js';
import { LakeCompaction } from './lake-compaction.js';
import { Operations } from './operations.js';
import { ReadApi } from './read-api.js';
import { lakeTables } from './tables/lake-tables.js';
import { WebhookIngest } from './webhook-ingest.js';
import { WebhookSecrets } from './webhook-secrets.js';

export interface CsPulseStackProps extends StackProps {
  /** The validated deployment settings (lib/config.ts). */
  readonly config: CsPulseConfig;
}

/** cs-pulse on AWS. The stack only assembles the constructs; each one owns its concern. */
export class CsPulseStack extends Stack {
  readonly lake: DataLake;
  readonly secrets: WebhookSecrets;
  readonly kpiStore: KpiStore;
  readonly api: PublicHttpApi;
  readonly ingest: WebhookIngest;
  readonly workgroup: AnalyticsWorkgroup;
  readonly aggregation: KpiAggregation;
  readonly compaction: LakeCompaction;
  readonly readApi: ReadApi;
  readonly operations: Operations;

  constructor(scope: Construct, id: string, props: CsPulseStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const sourceNames = WEBHOOK_SOURCES.map((source) => source.name);

    this.lake = new DataLake(this, 'Lake', {
      tables: lakeTables(sourceNames),
      databaseName: `cs_pulse_${config.stage.replaceAll('-', '_')}`,
      projectionStartDate: config.lakeStartDate,
      rawInfrequentAccessDays: config.rawInfrequentAccessDays,
      ...(config.rawRetentionDays !== undefined ? { rawRetentionDays: config.rawRetentionDays } : {}),
      noncurrentVersionRetentionDays: config.noncurrentVersionRetentionDays,
      accessLogRetentionDays: config.accessLogRetentionDays,
      removalPolicy,
    });
    this.secrets = new WebhookSecrets(this, 'WebhookSecrets', { removalPolicy });
    this.kpiStore = new KpiStore(this, 'KpiStore', { removalPolicy });
    this.api = new PublicHttpApi(this, 'HttpApi', {
      throttleRateLimit: config.throttleRateLimit,
      throttleBurstLimit: config.throttleBurstLimit,
      accessLogRetentionDays: config.logRetentionDays,
      logRemovalPolicy: removalPolicy,
    });
    this.ingest = new WebhookIngest(this, 'WebhookIngest', {
      api: this.api,
      lake: this.lake,
      secrets: this.secrets,
      maxBodyBytes: config.maxBodyBytes,
      lakeStartDate: config.lakeStartDate,
      ...(config.sourceConfig ? { sourceConfigFile: config.sourceConfig } : {}),
      logRetentionDays: config.logRetentionDays,
      logRemovalPolicy: removalPolicy,
    });
    this.workgroup = new AnalyticsWorkgroup(this, 'Analytics', {
      workGroupName: `cs-pulse-${config.stage}`,
      databaseName: this.lake.databaseName,
      bytesScannedCutoffPerQuery: config.queryBytesScannedCutoff,
      resultsRetentionDays: config.queryResultsRetentionDays,
      accessLogsBucket: this.lake.accessLogsBucket,
      removalPolicy,
    });
    this.workgroup.addRegisteredQueries(ALL_QUERIES);
    this.aggregation = new KpiAggregation(this, 'Aggregation', {
      lake: this.lake,
      workgroup: this.workgroup,
      kpiStore: this.kpiStore,
      schedule: config.aggregationSchedule,
      backfillSchedule: config.backfillSchedule,
      backfillDays: config.backfillDays,
      lowSampleMin: config.lowSampleMin,
      churnHorizonDays: config.churnHorizonDays,
      logRetentionDays: config.logRetentionDays,
      removalPolicy,
    });
    this.compaction = new LakeCompaction(this, 'Compaction', {
      lake: this.lake,
      workgroup: this.workgroup,
      schedule: config.compactionSchedule,
      maxDaysPerTable: config.compactionMaxDays,
      logRetentionDays: config.logRetentionDays,
      removalPolicy,
    });
    this.readApi = new ReadApi(this, 'ReadApi', {
      api: this.api,
      kpiStore: this.kpiStore,
      auth:
        config.apiAuth === 'jwt'
          ? { kind: 'jwt', issuer: config.jwtIssuer!, audience: config.jwtAudience! }
          : { kind: 'iam' },
      logRetentionDays: config.logRetentionDays,
      logRemovalPolicy: removalPolicy,
    });
    this.operations = new Operations(this, 'Operations', {
      api: this.api,
      ingest: this.ingest,
      lake: this.lake,
      secrets: this.secrets,
      kpiStore: this.kpiStore,
      workgroup: this.workgroup,
      sources: WEBHOOK_SOURCES.map(({ name, title }) => ({ name, title })),
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
      dashboardName: `cs-pulse-${config.stage}`,
      removalPolicy,
    });
    this.operations.monitorFunction('Aggregation', this.aggregation.function);
    this.operations.monitorDeadLetters('Aggregation', this.aggregation.deadLetterQueue);
    this.operations.monitorFunction('Compaction', this.compaction.function);
    this.operations.monitorDeadLetters('Compaction', this.compaction.deadLetterQueue);
    for (const [routeId, fn] of this.readApi.functions)
      this.operations.monitorFunction(`ReadApi${routeId}`, fn);
    // Asynchronous invocations: a run takes minutes (longer than the CLI waits), and gets the schedules' retries
    // and dead-letter queue. docs/deploy.md shows how to wait for one instead.
    new CfnOutput(this, 'AggregationFunctionName', {
      value: this.aggregation.function.functionName,
      description:
        'Run an aggregation now: aws lambda invoke --function-name <this> --invocation-type Event --cli-binary-format raw-in-base64-out --payload \'{"mode":"full"}\' /dev/null',
    });
    new CfnOutput(this, 'CompactionFunctionName', {
      value: this.compaction.function.functionName,
      description:
        "Run the compaction now: aws lambda invoke --function-name <this> --invocation-type Event --cli-binary-format raw-in-base64-out --payload '{}' /dev/null",
    });
  }
}
