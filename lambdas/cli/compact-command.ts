import { parseArgs } from 'node:util';
import { DuckDbSqlEngine } from '../adapters/duckdb-sql-engine.js';
import { LocalDiskObjectStore } from '../adapters/local-disk-object-store.js';
import { readSettings } from '../config/settings.js';
import { compactLake } from '../lake/compact-lake.js';
import { localHome } from '../local/home.js';
import { type Command, UsageError } from './command.js';

export const compactCommand: Command = {
  name: 'compact',
  summary: 'rewrite closed days of the lake tables into Parquet',
  usage: `Usage: npm run compact -- [--settle-seconds N] [--json]

Folds every closed day (before today, UTC) of each lake table into its Parquet copy under compacted/<table>/dt=…/,
with the same SQL the compaction job runs on Athena (queries/compaction/), then deletes the JSON files it copied.
KPIs do not change: the views read the Parquet days plus whatever JSON is left. Late data for a compacted day is
counted at once and folded in by the next run. The raw archive is never touched (npm run replay rebuilds all of it).

Options:
  --settle-seconds N  delete only JSON files written at least N seconds before the run (default 300)
  --json              print the report as JSON
`,
  async run(args) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        'settle-seconds': { type: 'string', default: '300' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const settleSeconds = Number(values['settle-seconds']);
    if (!Number.isInteger(settleSeconds) || settleSeconds < 0) {
      throw new UsageError(
        `--settle-seconds wants a whole number of seconds, not "${values['settle-seconds']}"`,
      );
    }
    const home = localHome(readSettings().CS_PULSE_HOME);
    const lake = await LocalDiskObjectStore.open({ root: home.lake, durability: 'fsync' });
    const engine = await DuckDbSqlEngine.open({ lakeRoot: home.lake });
    try {
      const began = performance.now();
      const report = await compactLake({
        engine,
        lake,
        now: () => new Date(),
        settleMs: settleSeconds * 1000,
      });
      if (values.json) {
        console.log(JSON.stringify(report, null, 2));
        return 0;
      }
      const rows = report.days.reduce((sum, day) => sum + (day.rowsAppended ?? 0), 0);
      const deleted = report.days.reduce((sum, day) => sum + day.filesDeleted, 0);
      const kept = report.days.reduce((sum, day) => sum + day.filesKept, 0);
      const seconds = ((performance.now() - began) / 1000).toFixed(1);
      console.log(
        report.days.length === 0
          ? `nothing to compact: no JSON files of days before ${report.today}`
          : `compacted ${report.days.length} table-days: ${rows} rows into Parquet, ${deleted} JSON files deleted` +
              `${kept > 0 ? `, ${kept} too recent (next run)` : ''} in ${seconds} s`,
      );
      return 0;
    } finally {
      await engine.close();
      await lake.close();
    }
  },
};
