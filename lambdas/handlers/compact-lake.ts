import middy from '@middy/core';
import { type CompactionReport, compactLake } from '../lake/compact-lake.js';
import {
  type CompactionDependencies,
  compactionDependenciesFromEnvironment,
} from '../runtime/analytics-environment.js';
import { lazily } from '../runtime/lazily.js';
import {
  lambdaObservability,
  METRIC_NAMES,
  MetricUnit,
  type Observability,
  observed,
} from '../runtime/observability.js';

export type CompactionSummary = Omit<CompactionReport, 'days'> & { days: number; filesDeleted: number };

/**
 * The scheduled compaction on AWS (lib/lake-compaction.ts): every closed day's JSON rows into the Parquet tables with
 * Athena INSERT INTO, then the copied JSON files deleted. The event carries nothing. A failure throws, for the retries;
 * a rerun is safe (it appends only rows the copy lacks).
 */
export function createCompactLakeHandler(
  dependencies: () => Promise<CompactionDependencies>,
  observability: Observability = lambdaObservability(),
) {
  const { logger, metrics } = observability;
  return middy<unknown, CompactionSummary>()
    .use(observed(observability, { recordsMetrics: true }))
    .handler(async () => {
      const deps = await dependencies();
      const report = await compactLake({
        engine: deps.engine,
        lake: deps.lake,
        now: () => deps.clock.now(),
        maxDaysPerTable: deps.maxDaysPerTable,
        onDay: (table, dt) => logger.info('compacting', { table, dt }),
      });
      const summary: CompactionSummary = {
        today: report.today,
        days: report.days.length,
        filesDeleted: report.days.reduce((sum, day) => sum + day.filesDeleted, 0),
        deferred: report.deferred,
      };
      metrics?.addMetric(METRIC_NAMES.daysCompacted, MetricUnit.Count, summary.days);
      metrics?.addMetric(METRIC_NAMES.compactedFilesDeleted, MetricUnit.Count, summary.filesDeleted);
      logger.info('compacted', { ...summary });
      return summary;
    });
}

export const handler = createCompactLakeHandler(lazily(compactionDependenciesFromEnvironment));
