import { type CompactionReport, compactLake } from '../lake/compact-lake.js';
import {
  type CompactionDependencies,
  compactionDependenciesFromEnvironment,
} from '../runtime/analytics-environment.js';
import { lazily } from '../runtime/lazily.js';

/**
 * The scheduled compaction on AWS (lib/lake-compaction.ts): every closed day's JSON rows into the Parquet tables with
 * Athena INSERT INTO, then the copied JSON files deleted. The event carries nothing. A failure throws, for the retries;
 * a rerun is safe (it appends only rows the copy lacks).
 */
export function createCompactLakeHandler(dependencies: () => Promise<CompactionDependencies>) {
  return async (): Promise<Omit<CompactionReport, 'days'> & { days: number; filesDeleted: number }> => {
    const deps = await dependencies();
    const report = await compactLake({
      engine: deps.engine,
      lake: deps.lake,
      now: () => deps.clock.now(),
      maxDaysPerTable: deps.maxDaysPerTable,
      onDay: (table, dt) => console.info(JSON.stringify({ message: 'compacting', table, dt })),
    });
    const summary = {
      today: report.today,
      days: report.days.length,
      filesDeleted: report.days.reduce((sum, day) => sum + day.filesDeleted, 0),
      deferred: report.deferred,
    };
    console.info(JSON.stringify({ message: 'compacted', ...summary }));
    return summary;
  };
}

export const handler = createCompactLakeHandler(lazily(compactionDependenciesFromEnvironment));
