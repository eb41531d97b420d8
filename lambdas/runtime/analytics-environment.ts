import { AthenaClient } from '@aws-sdk/client-athena';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { MATERIALIZED_VIEWS } from '../../queries/registry.js';
import { ATHENA_CLIENT_RETRIES, AthenaSqlEngine } from '../adapters/athena-sql-engine.js';
import { DynamoDbKpiStore } from '../adapters/dynamodb-kpi-store.js';
import { S3ObjectStore } from '../adapters/s3-object-store.js';
import { readSettings, SettingsError } from '../config/settings.js';
import { type Clock, systemClock } from '../ports/clock.js';
import type { KpiStore } from '../ports/kpi-store.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { SqlEngine } from '../ports/sql-engine.js';

/** The variables the stack sets on the aggregation and compaction Lambdas (lib/kpi-aggregation.ts, lake-compaction.ts). */
const athenaLakeSchema = z.object({
  CS_PULSE_LAKE_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'not an S3 bucket name'),
  CS_PULSE_ATHENA_WORKGROUP: z.string().min(1),
  CS_PULSE_GLUE_DATABASE: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'not a plain Glue database name'),
  CS_PULSE_ATHENA_DEADLINE_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(600)
    .describe('Longest one Athena statement may run before it is stopped.'),
});

const aggregationSchema = athenaLakeSchema.extend({
  CS_PULSE_KPI_TABLE: z.string().min(3),
  CS_PULSE_BACKFILL_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .max(400)
    .default(3)
    .describe('The scheduled backfill treats lake data written in this many past days as new again.'),
});

const compactionSchema = athenaLakeSchema.extend({
  CS_PULSE_COMPACTION_MAX_DAYS: z.coerce
    .number()
    .int()
    .positive()
    .default(30)
    .describe('Days of each table one compaction run folds in at most (a backlog takes several runs).'),
});

export interface AthenaLake {
  readonly engine: SqlEngine;
  readonly lake: ObjectStore;
  readonly clock: Clock;
}

export interface AggregationDependencies extends AthenaLake {
  readonly store: KpiStore;
  readonly backfillDays: number;
  readonly lowSampleMin: number;
  readonly churnHorizonDays: number;
}

export interface CompactionDependencies extends AthenaLake {
  readonly maxDaysPerTable: number;
}

/** The aggregate Lambda's dependencies: Athena over the Glue database, the lake bucket and the KPI table. */
export async function aggregationDependenciesFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): Promise<AggregationDependencies> {
  const values = parse(aggregationSchema, env);
  const settings = readSettings(env);
  return {
    ...athenaLake(values),
    store: new DynamoDbKpiStore(new DynamoDBClient({}), values.CS_PULSE_KPI_TABLE),
    backfillDays: values.CS_PULSE_BACKFILL_DAYS,
    lowSampleMin: settings.CS_PULSE_LOW_SAMPLE_MIN,
    churnHorizonDays: settings.CS_PULSE_CHURN_HORIZON_DAYS,
  };
}

/** The compaction Lambda's dependencies: Athena over the Glue database and the lake bucket. */
export async function compactionDependenciesFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): Promise<CompactionDependencies> {
  const values = parse(compactionSchema, env);
  return { ...athenaLake(values), maxDaysPerTable: values.CS_PULSE_COMPACTION_MAX_DAYS };
}

function athenaLake(values: z.infer<typeof athenaLakeSchema>): AthenaLake {
  return {
    engine: new AthenaSqlEngine({
      client: new AthenaClient(ATHENA_CLIENT_RETRIES),
      workGroup: values.CS_PULSE_ATHENA_WORKGROUP,
      database: values.CS_PULSE_GLUE_DATABASE,
      deadlineMs: values.CS_PULSE_ATHENA_DEADLINE_SECONDS * 1000,
      materializedViews: MATERIALIZED_VIEWS,
    }),
    lake: new S3ObjectStore({ bucket: values.CS_PULSE_LAKE_BUCKET }),
    clock: systemClock,
  };
}

function parse<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new SettingsError(`invalid settings:\n${lines.join('\n')}`);
  }
  return result.data;
}
