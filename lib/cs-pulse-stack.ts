import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { WEBHOOK_SOURCES } from '../lambdas/sources/registry.js';
import { AnalyticsWorkgroup } from './analytics-workgroup.js';
import type { CsPulseConfig } from './config.js';
import { DataLake } from './data-lake.js';
import { PublicHttpApi } from './http-api.js';
import { KpiStore } from './kpi-store.js';
import { Operations } from './operations.js';
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
  }
}
