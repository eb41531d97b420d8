import middy from '@middy/core';
import { z } from 'zod';
import { aggregateKpis } from '../kpis/aggregate-kpis.js';
import {
  type AggregationDependencies,
  aggregationDependenciesFromEnvironment,
} from '../runtime/analytics-environment.js';
import { lazily } from '../runtime/lazily.js';
import {
  lambdaObservability,
  METRIC_NAMES,
  MetricUnit,
  type Observability,
  observed,
} from '../runtime/observability.js';

const DAY_MS = 24 * 3600 * 1000;

/**
 * What the schedules send (lib/kpi-aggregation.ts), or an operator with `aws lambda invoke`:
 * - `incremental` (hourly): the periods data written since the last run can change, and the current and previous ones.
 * - `backfill` (daily): the same, but counting everything written in the last CS_PULSE_BACKFILL_DAYS days as new
 *   again, so an object a run listed too early (S3 dates an object by the start of its upload) is not missed.
 * - `full`: every period the lake has (after a replay or a change to the SQL).
 */
export const aggregationRequestSchema = z.object({
  mode: z.enum(['incremental', 'backfill', 'full']).default('incremental'),
});

export type AggregationRequest = z.input<typeof aggregationRequestSchema>;

export interface AggregationSummary {
  readonly mode: 'incremental' | 'backfill' | 'full';
  readonly asOf: string;
  /** First day of the earliest period recomputed; null for an empty lake. */
  readonly from: string | null;
  readonly points: number;
  readonly seconds: number;
}

/** The scheduled KPI aggregation on AWS: queries/ on Athena, KPIs into DynamoDB. A failure throws, for the retries. */
export function createAggregateKpisHandler(
  dependencies: () => Promise<AggregationDependencies>,
  observability: Observability = lambdaObservability(),
) {
  const { logger, metrics } = observability;
  return middy<unknown, AggregationSummary>()
    .use(observed(observability, { recordsMetrics: true }))
    .handler(async (event) => {
      const { mode } = aggregationRequestSchema.parse(event ?? {});
      const deps = await dependencies();
      const asOf = deps.clock.now();
      const report = await aggregateKpis({
        engine: deps.engine,
        lake: deps.lake,
        store: deps.store,
        asOf,
        now: () => deps.clock.now(),
        backfill: mode === 'full',
        ...(mode === 'backfill'
          ? { changedSince: new Date(asOf.getTime() - deps.backfillDays * DAY_MS) }
          : {}),
        lowSampleMin: deps.lowSampleMin,
        churnHorizonDays: deps.churnHorizonDays,
      });
      const summary: AggregationSummary = {
        mode,
        asOf: asOf.toISOString(),
        from: report.from,
        points: report.runs.reduce((sum, run) => sum + run.written, 0),
        seconds: (deps.clock.now().getTime() - asOf.getTime()) / 1000,
      };
      metrics?.addMetadata('mode', mode);
      metrics?.addMetric(METRIC_NAMES.kpiPointsWritten, MetricUnit.Count, summary.points);
      metrics?.addMetric(METRIC_NAMES.aggregationDuration, MetricUnit.Seconds, summary.seconds);
      logger.info('aggregated', { ...summary });
      return summary;
    });
}

export const handler = createAggregateKpisHandler(lazily(aggregationDependenciesFromEnvironment));
