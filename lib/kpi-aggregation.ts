import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ALL_QUERIES, SNAPSHOT_TABLE_PREFIX, VIEWS } from '../queries/registry.js';
import type { AnalyticsWorkgroup } from './analytics-workgroup.js';
import type { DataLake } from './data-lake.js';
import type { KpiStore } from './kpi-store.js';
import { ScheduledJob } from './scheduled-job.js';

/** Where the SQL sits inside a bundle: the handler finds it through CS_PULSE_QUERIES_DIR. */
const BUNDLED_QUERIES = 'queries';

/** Every .sql file of queries/, copied into a bundle at the same relative path (the registry names them). */
export function bundledQueryFiles(): Record<string, string> {
  return Object.fromEntries(
    ALL_QUERIES.map((query) => [`${BUNDLED_QUERIES}/${query.file}`, `queries/${query.file}`]),
  );
}

export interface KpiAggregationProps {
  readonly lake: DataLake;
  readonly workgroup: AnalyticsWorkgroup;
  readonly kpiStore: KpiStore;
  /** How often the incremental aggregation runs. @default 'rate(1 hour)' */
  readonly schedule?: string;
  /** When the daily backfill of recent periods runs (UTC). @default 'cron(30 2 * * ? *)' */
  readonly backfillSchedule?: string;
  /** The backfill counts lake data written in this many past days as new again. @default 3 */
  readonly backfillDays?: number;
  /** Periods with fewer responses than this are flagged low_sample. @default 30 */
  readonly lowSampleMin?: number;
  /** Churn drivers: days after a survey response within which a churn counts. @default 90 */
  readonly churnHorizonDays?: number;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** For the log group and the dead-letter queue. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The KPI aggregation on AWS: lambdas/handlers/aggregate-kpis.ts with the SQL of queries/ in its bundle, run by
 * EventBridge Scheduler hourly (`{"mode":"incremental"}`) and once a day (`{"mode":"backfill"}`: periods of data
 * written in the last few days again), with retries and a dead-letter queue. It may run queries in the cs-pulse
 * workgroup, read the normalized tables (not raw/), define the views, and read and write the KPI table.
 */
export class KpiAggregation extends Construct {
  readonly job: ScheduledJob;

  constructor(scope: Construct, id: string, props: KpiAggregationProps) {
    super(scope, id);
    this.job = new ScheduledJob(this, 'Job', {
      entry: 'lambdas/handlers/aggregate-kpis.ts',
      description: 'cs-pulse KPI aggregation: queries/ on Athena into the KPI table',
      // Athena statements run one after another and the Lambda waits on each; a full recompute takes minutes.
      timeout: Duration.minutes(15),
      memorySize: 512,
      environment: {
        CS_PULSE_LAKE_BUCKET: props.lake.bucket.bucketName,
        CS_PULSE_GLUE_DATABASE: props.lake.databaseName,
        CS_PULSE_ATHENA_WORKGROUP: props.workgroup.workGroupName,
        CS_PULSE_KPI_TABLE: props.kpiStore.tableName,
        CS_PULSE_QUERIES_DIR: `/var/task/${BUNDLED_QUERIES}`,
        CS_PULSE_BACKFILL_DAYS: String(props.backfillDays ?? 3),
        CS_PULSE_LOW_SAMPLE_MIN: String(props.lowSampleMin ?? 30),
        CS_PULSE_CHURN_HORIZON_DAYS: String(props.churnHorizonDays ?? 90),
      },
      extraFiles: bundledQueryFiles(),
      ...(props.logRetentionDays !== undefined ? { logRetentionDays: props.logRetentionDays } : {}),
      ...(props.removalPolicy !== undefined
        ? { logRemovalPolicy: props.removalPolicy, removalPolicy: props.removalPolicy }
        : {}),
    });
    const fn = this.job.function;
    const views = VIEWS.map((view) => view.id);
    props.workgroup.grantQueryExecution(fn);
    props.lake.grantTableQueries(fn, views);
    props.lake.grantViewDefinitions(fn, views);
    // Each run materializes the history views once (CREATE TABLE AS: data in the workgroup's results location,
    // which grantQueryExecution covers), instead of scanning the lake for each query.
    props.lake.grantSnapshotTables(fn, SNAPSHOT_TABLE_PREFIX);
    props.kpiStore.grantReadData(fn);
    props.kpiStore.grantWriteData(fn);

    this.job.addSchedule(
      'Incremental',
      props.schedule ?? 'rate(1 hour)',
      { mode: 'incremental' },
      'cs-pulse: recompute the KPI periods new lake data can change',
    );
    this.job.addSchedule(
      'Backfill',
      props.backfillSchedule ?? 'cron(30 2 * * ? *)',
      { mode: 'backfill' },
      `cs-pulse: recompute the KPI periods of everything written in the last ${props.backfillDays ?? 3} days`,
    );
  }

  get function() {
    return this.job.function;
  }

  get deadLetterQueue() {
    return this.job.deadLetterQueue;
  }
}
