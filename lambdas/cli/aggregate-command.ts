import { parseArgs } from 'node:util';
import { DuckDbSqlEngine } from '../adapters/duckdb-sql-engine.js';
import { LocalDiskObjectStore } from '../adapters/local-disk-object-store.js';
import { readSettings } from '../config/settings.js';
import { aggregateKpis } from '../kpis/aggregate-kpis.js';
import { localHome } from '../local/home.js';
import { openLocalKpiStore } from '../local/local-kpi-store.js';
import type { KpiSummary } from '../ports/kpi-store.js';
import { type Command, UsageError } from './command.js';
import { formatNumber, formatRows } from './format-table.js';

export const aggregateCommand: Command = {
  name: 'aggregate',
  summary: 'compute the KPIs from the lake into the KPI store now',
  usage: `Usage: npm run aggregate -- [--backfill] [--as-of YYYY-MM-DD] [--json]

Runs the KPI SQL in queries/ on the lake (DuckDB) and writes every metric, by month and quarter and by segment,
into the KPI store, then prints the current KPIs. By default only the periods that data received since the last run
can change are recomputed. Works whether or not \`npm start\` is running on the same home.

Options:
  --backfill          recompute every period in the lake
  --as-of YYYY-MM-DD  compute as if today were this day (data up to its end counts)
  --json              print the report as JSON
`,
  async run(args) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        backfill: { type: 'boolean', default: false },
        'as-of': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const asOf = values['as-of'] ? endOfDay(values['as-of']) : new Date();
    const settings = readSettings();
    const home = localHome(settings.CS_PULSE_HOME);
    const lake = await LocalDiskObjectStore.open({ root: home.lake, durability: 'none' });
    const kpiStore = await openLocalKpiStore(home);
    const engine = await DuckDbSqlEngine.open({ lakeRoot: home.lake });
    try {
      const began = performance.now();
      const report = await aggregateKpis({
        engine,
        lake,
        store: kpiStore.store,
        asOf,
        backfill: values.backfill,
        now: () => new Date(),
        lowSampleMin: settings.CS_PULSE_LOW_SAMPLE_MIN,
        churnHorizonDays: settings.CS_PULSE_CHURN_HORIZON_DAYS,
      });
      const seconds = (performance.now() - began) / 1000;
      if (values.json) {
        console.log(JSON.stringify(report, null, 2));
        return 0;
      }
      if (report.from === null) {
        console.log(`the lake at ${home.lake} has no data yet: send webhooks, or run npm run demo`);
        return 0;
      }
      const points = report.runs.reduce((sum, run) => sum + run.written, 0);
      console.log(
        `aggregated ${points} KPI points from ${report.from} in ${seconds.toFixed(1)} s (${values.backfill ? 'backfill' : 'incremental'})\n`,
      );
      console.log(summaryTable(report.summaries.find((summary) => summary.grain === 'month')));
      return 0;
    } finally {
      await engine.close();
      await kpiStore.close();
      await lake.close();
    }
  },
};

function endOfDay(day: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) {
    throw new UsageError(`--as-of wants a date as YYYY-MM-DD, not "${day}"`);
  }
  return new Date(Date.parse(`${day}T00:00:00Z`) + 24 * 3600 * 1000);
}

/** The current KPIs as a table: one row per metric, the last complete month beside the current one. */
export function summaryTable(summary: KpiSummary | undefined): string {
  if (!summary) return '(no KPIs yet)';
  const cell = (point: KpiSummary['metrics'][string]['current']) =>
    point
      ? `${formatNumber(point.value)}${point.ci95 ? ` ±${formatNumber((point.ci95[1] - point.ci95[0]) / 2)}` : ''} (n=${point.n})`
      : '–';
  const rows = Object.entries(summary.metrics).map(([metric, entry]) => ({
    metric,
    [`last month${entry.latest_complete ? ` ${entry.latest_complete.period_start.slice(0, 7)}` : ''}`]: cell(
      entry.latest_complete,
    ),
    [`this month${entry.current ? ` ${entry.current.period_start.slice(0, 7)}` : ''}`]: cell(entry.current),
  }));
  const columns = [
    'metric',
    ...new Set(rows.flatMap((row) => Object.keys(row).filter((key) => key !== 'metric'))),
  ];
  return formatRows(rows, 'table', columns);
}
