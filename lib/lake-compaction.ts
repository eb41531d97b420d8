import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { AnalyticsWorkgroup } from './analytics-workgroup.js';
import type { DataLake } from './data-lake.js';
import { bundledQueryFiles } from './kpi-aggregation.js';
import { ScheduledJob } from './scheduled-job.js';
import { COMPACTED_TABLES } from './tables/lake-tables.js';

export interface LakeCompactionProps {
  readonly lake: DataLake;
  readonly workgroup: AnalyticsWorkgroup;
  /** When the compaction runs (UTC). @default 'cron(15 0 * * ? *)': just after a day closes */
  readonly schedule?: string;
  /** Days of each table one run compacts at most (a backlog takes several runs). @default 30 */
  readonly maxDaysPerTable?: number;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** For the log group and the dead-letter queue. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The lake compaction on AWS (lambdas/handlers/compact-lake.ts): once a day, Athena INSERT INTO copies each closed
 * day's JSON rows into the Parquet tables under compacted/, then the copied JSON files are deleted, so KPI queries
 * read a few Parquet files per day instead of one object per delivery. It may write under compacted/ and delete
 * under tables/; raw/, the archive everything can be rebuilt from, stays out of its reach.
 */
export class LakeCompaction extends Construct {
  readonly job: ScheduledJob;

  constructor(scope: Construct, id: string, props: LakeCompactionProps) {
    super(scope, id);
    this.job = new ScheduledJob(this, 'Job', {
      entry: 'lambdas/handlers/compact-lake.ts',
      description: 'cs-pulse lake compaction: closed days into Parquet with Athena',
      timeout: Duration.minutes(15),
      environment: {
        CS_PULSE_LAKE_BUCKET: props.lake.bucket.bucketName,
        CS_PULSE_GLUE_DATABASE: props.lake.databaseName,
        CS_PULSE_ATHENA_WORKGROUP: props.workgroup.workGroupName,
        CS_PULSE_QUERIES_DIR: '/var/task/queries',
        CS_PULSE_COMPACTION_MAX_DAYS: String(props.maxDaysPerTable ?? 30),
      },
      extraFiles: bundledQueryFiles(),
      ...(props.logRetentionDays !== undefined ? { logRetentionDays: props.logRetentionDays } : {}),
      ...(props.removalPolicy !== undefined
        ? { logRemovalPolicy: props.removalPolicy, removalPolicy: props.removalPolicy }
        : {}),
    });
    const fn = this.job.function;
    props.workgroup.grantQueryExecution(fn);
    // It reads the tables and their copies, never a view.
    props.lake.grantTableQueries(fn, []);
    props.lake.grantCompaction(
      fn,
      COMPACTED_TABLES.map((table) => table.name),
    );
    this.job.addSchedule(
      'Daily',
      props.schedule ?? 'cron(15 0 * * ? *)',
      {},
      'cs-pulse: compact the closed days of the lake tables into Parquet',
    );
  }

  get function() {
    return this.job.function;
  }

  get deadLetterQueue() {
    return this.job.deadLetterQueue;
  }
}
