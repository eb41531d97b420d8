import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { LAKE_TABLES } from '../lambdas/lake/layout.js';
import { ANALYSIS_QUERIES, KPI_QUERIES, VIEWS } from '../queries/registry.js';
import { REPO_ROOT } from '../test/support/server-process.js';
import { GENERATOR_VERSION, type GeneratedLake, generatedLake, LAKE_END, LAKE_MONTHS } from './kpi-lake.js';
import type { BackfillResult, QueriesResult, ScanResult, TimedCall } from './kpi-worker.js';
import type { BenchSection, ResultTable } from './section.js';
import { runWorker } from './worker-process.js';

/** Scratch space and the lake cache (git-ignored). */
const BENCH_FOLDER = path.join(REPO_ROOT, '.bench');

/** A full backfill of every KPI should cost at most this many bare scans of the same files. */
const GOAL_RATIO = 3;

interface Plan {
  readonly sizes: readonly number[];
  /** A backfill still running after this long is stopped; what it finished by then is reported. */
  readonly backfillBudgetMs: number;
  /** Each query of the one-by-one run is interrupted after this long. */
  readonly queryTimeoutMs: number;
}

const FULL: Plan = { sizes: [1_000_000, 10_000_000], backfillBudgetMs: 10 * 60_000, queryTimeoutMs: 60_000 };
const QUICK: Plan = { sizes: [100_000], backfillBudgetMs: 5 * 60_000, queryTimeoutMs: 20_000 };

/** A backfill as far as it got: all of it, or up to its time budget. */
interface Backfill {
  readonly finished: boolean;
  /** Its whole time, or the budget when it was stopped. */
  readonly seconds: number;
  readonly peakRssMiB: number | undefined;
  readonly openMilliseconds: number;
  readonly listMilliseconds: number;
  /** The time spent in aggregateKpis (so far). */
  readonly aggregateMilliseconds: number;
  readonly sql: readonly TimedCall[];
  readonly store: readonly TimedCall[];
  /** The statement that was running when it was stopped. */
  readonly running: string | undefined;
  readonly points: number | undefined;
}

interface SizeRun {
  readonly size: number;
  readonly lake: GeneratedLake;
  /** One before and one after the backfill; the faster counts. */
  readonly scans: readonly ScanResult[];
  readonly queries: QueriesResult;
  readonly backfill: Backfill;
}

/**
 * A full KPI backfill (`aggregateKpis` with backfill, as `npm run aggregate -- --backfill` runs it: DuckDB over the
 * lake's JSON lines into the KPI store on dynalite) against a bare DuckDB scan of the same files, on generated lakes,
 * and every KPI and analysis query timed on its own.
 */
export const kpisSection: BenchSection = {
  name: 'kpis',
  title: 'KPI backfill',
  async run({ quick, log }) {
    const plan = quick ? QUICK : FULL;
    await mkdir(BENCH_FOLDER, { recursive: true });
    const runs: SizeRun[] = [];
    for (const size of plan.sizes) {
      const lake = await generatedLake(BENCH_FOLDER, size, log);
      log(`  ${label(size)}: scan…`);
      const before = await scan(lake);
      log(`    ${before.seconds.toFixed(1)} s; each query on its own…`);
      const queries = await runQueries(lake, plan.queryTimeoutMs);
      log(`  ${label(size)}: backfill (budget ${plan.backfillBudgetMs / 60_000} min)…`);
      const backfill = await runBackfill(lake, plan.backfillBudgetMs);
      log(
        `    ${backfill.finished ? `${backfill.seconds.toFixed(1)} s` : `stopped after ${backfill.seconds.toFixed(0)} s, in ${backfill.running}`}; scan again…`,
      );
      const after = await scan(lake);
      log(`    ${after.seconds.toFixed(1)} s`);
      runs.push({ size, lake, scans: [before, after], queries, backfill });
    }
    const largest = runs[runs.length - 1]!;
    const manifest = largest.lake.manifest;
    const share = (type: string) =>
      `${((100 * (manifest.eventsByType[type] ?? 0)) / manifest.events).toFixed(1)} %`;
    return {
      method: [
        `Lakes of ${runs.map((run) => label(run.size)).join(' and ')} events, generated once and cached in \`.bench/\` (generator version ${GENERATOR_VERSION}; a rerun skips generation): a SaaS company over ${LAKE_MONTHS} months up to ${LAKE_END.toISOString().slice(0, 10)}, with accounts on three plans and two segment attributes (region, industry), subscriptions that start, expand, contract, change plan, cancel (more often after a detractor NPS) and come back, and survey responses (CSAT and CES after support contacts, a quarterly NPS) whose scores follow each account's sentiment. In the ${label(largest.size)} lake: ${share('survey.responded')} survey responses, ${share('subscription.started')} subscription starts (new and reactivated), ${share('subscription.changed')} changes, ${share('subscription.canceled')} cancellations, ${share('account.updated')} account updates, ${manifest.accounts.toLocaleString('en-US')} accounts; ${((100 * manifest.duplicates) / manifest.events).toFixed(1)} % of the events are delivered twice in different batches, as a retrying sender would, so the views' deduplication has work to do.`,
        "The events are cut into deliveries of 100 to 500 events in time order and written straight into `tables/<table>/dt=<date>/generic-<delivery key>.jsonl`, one file per (table, event date) of each delivery: exactly the files ingest's `tableObjectsOf` writes (the generator builds them from strings for speed and checks every 50th delivery byte for byte against `tableObjectsOf`), without HTTP.",
        `Each measurement runs in a fresh process of its own, so its peak RSS (the kernel's high-water mark) is its own. **Scan**: a bare DuckDB (default settings, all cores) reads each table's files with \`read_json\` and the same explicit columns and options as the DuckDB engine, \`count(*)\` plus a sum over a text and a timestamp column, so every row is parsed and converted; it runs before and after the other measurements, the faster counts, and its row counts must equal what the generator wrote. **Queries one by one**: the views are created and snapshotted as the aggregation does, then each KPI query (month grain, every month of the lake, the parameters of a backfill) and each analysis query runs on its own, interrupted after ${plan.queryTimeoutMs / 1000} s. **Backfill**: what \`npm run aggregate -- --backfill --as-of\` does: open DuckDB and the KPI store (dynalite on loopback, in the same process, on a fresh home), then \`aggregateKpis\` recomputes every metric for every month and quarter and the rolling windows, with every segment, the cohort tables, survival curves with log-rank tests and the churn drivers. The bench wraps the SQL engine and the KPI store to time every statement and every store call. A backfill still running after ${plan.backfillBudgetMs / 60_000} minutes is stopped, and what it finished by then is reported.`,
      ],
      tables: [summaryTable(runs), queriesTable(runs), breakdownTable(runs)],
      findings: findingsOf(runs, plan),
    };
  },
};

async function scan(lake: GeneratedLake): Promise<ScanResult> {
  const { result } = await runWorker<ScanResult>('bench/kpi-worker.ts', ['scan', lake.root]);
  for (const table of LAKE_TABLES) {
    if (result!.tables[table]?.rows !== lake.manifest.rows[table]) {
      throw new Error(
        `the scan read ${result!.tables[table]?.rows} ${table} rows where the generator wrote ${lake.manifest.rows[table]}`,
      );
    }
  }
  return result!;
}

async function runQueries(lake: GeneratedLake, timeoutMs: number): Promise<QueriesResult> {
  const { result } = await runWorker<QueriesResult>('bench/kpi-worker.ts', [
    'queries',
    lake.root,
    String(timeoutMs),
  ]);
  return result!;
}

async function runBackfill(lake: GeneratedLake, budgetMs: number): Promise<Backfill> {
  const home = await mkdtemp(path.join(BENCH_FOLDER, 'kpis-'));
  // Progress so far, from the worker's lines: what a stopped run is reported with.
  const sql: TimedCall[] = [];
  const store: TimedCall[] = [];
  let openMilliseconds = 0;
  let listMilliseconds: number | undefined;
  let running: string | undefined;
  try {
    const outcome = await runWorker<BackfillResult>('bench/kpi-worker.ts', ['backfill', lake.root, home], {
      timeoutMs: budgetMs,
      onLine: (line) => {
        const space = line.indexOf(' ');
        const tag = line.slice(0, space);
        const value = space > 0 ? JSON.parse(line.slice(space + 1)) : undefined;
        if (tag === 'OPENED') openMilliseconds = value.milliseconds;
        else if (tag === 'LISTED') listMilliseconds = value.milliseconds;
        else if (tag === 'BEGIN') running = value.name;
        else if (tag === 'SQL') {
          sql.push(value);
          running = undefined;
        } else if (tag === 'STORE') store.push(value);
      },
    });
    const result = outcome.result;
    if (result) {
      return {
        finished: true,
        seconds: result.seconds,
        peakRssMiB: result.peakRssMiB,
        openMilliseconds: result.openMilliseconds,
        listMilliseconds: result.listMilliseconds,
        aggregateMilliseconds: result.aggregateMilliseconds,
        sql: result.sql,
        store: result.store,
        running: undefined,
        points: result.points,
      };
    }
    return {
      finished: false,
      seconds: outcome.elapsedMs / 1000,
      peakRssMiB: outcome.peakRssMiB,
      openMilliseconds,
      listMilliseconds: listMilliseconds ?? 0,
      aggregateMilliseconds: outcome.elapsedMs - openMilliseconds,
      sql,
      store,
      running,
      points: undefined,
    };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

function summaryTable(runs: readonly SizeRun[]): ResultTable {
  return {
    columns: [
      'lake',
      'events',
      'files',
      'MiB',
      'generated in s',
      'scan s',
      'backfill s',
      'backfill ÷ scan',
      'scan peak RSS MiB',
      'backfill peak RSS MiB',
      'KPI points',
    ],
    rows: runs.map((run) => {
      const scan = fastestScan(run);
      const { backfill } = run;
      const ratio = backfill.seconds / scan.seconds;
      return [
        label(run.size),
        run.lake.manifest.events.toLocaleString('en-US'),
        run.lake.manifest.files.toLocaleString('en-US'),
        (run.lake.manifest.bytes / 1024 ** 2).toFixed(0),
        run.lake.manifest.generationSeconds.toFixed(0),
        scan.seconds.toFixed(1),
        backfill.finished ? backfill.seconds.toFixed(1) : `> ${backfill.seconds.toFixed(0)} (stopped)`,
        backfill.finished ? `${ratio.toFixed(1)}×` : `> ${ratio.toFixed(0)}×`,
        scan.peakRssMiB.toFixed(0),
        backfill.peakRssMiB === undefined ? 'n/a' : backfill.peakRssMiB.toFixed(0),
        backfill.points === undefined ? '–' : backfill.points.toLocaleString('en-US'),
      ];
    }),
  };
}

/**
 * DuckDB's join operators that compare every row of one side with every row of the other. NESTED_LOOP_JOIN is cheap
 * when one side is the handful of periods; BLOCKWISE_NL_JOIN, which DuckDB plans for a join condition it cannot split
 * into comparisons (an OR inside a LEFT JOIN's ON), grows with the product of both sides.
 */
const NESTED_LOOP_JOINS = ['BLOCKWISE_NL_JOIN', 'NESTED_LOOP_JOIN'];

/** Every query on its own, after the views' snapshot: where a backfill's SQL time goes, query by query. */
function queriesTable(runs: readonly SizeRun[]): ResultTable {
  const cell = (milliseconds: number | null, timeoutMs: number) =>
    milliseconds === null ? `> ${timeoutMs.toLocaleString('en-US')} (interrupted)` : milliseconds.toFixed(0);
  const largest = runs[runs.length - 1]!.queries;
  return {
    columns: [
      'query (one by one)',
      ...runs.flatMap((run) => [`${label(run.size)} ms`, `${label(run.size)} rows`]),
      'nested-loop joins in its plan',
    ],
    rows: [
      ['views: define', ...runs.flatMap((run) => [run.queries.defineViewsMilliseconds.toFixed(0), '']), ''],
      [
        'views: snapshot (reads every file)',
        ...runs.flatMap((run) => [run.queries.snapshotMilliseconds.toFixed(0), '']),
        '',
      ],
      ...largest.queries.map((query, index) => [
        `${query.kind === 'kpi' ? 'KPI' : 'analysis'} ${query.id}`,
        ...runs.flatMap((run) => {
          const same = run.queries.queries[index]!;
          return [
            cell(same.milliseconds, run.queries.timeoutMs),
            same.rows === null ? '' : String(same.rows),
          ];
        }),
        Object.entries(query.joins)
          .filter(([operator]) => NESTED_LOOP_JOINS.includes(operator))
          .map(([operator, count]) => `${operator} ${count}`)
          .join(', '),
      ]),
    ],
  };
}

interface Step {
  readonly step: string;
  readonly milliseconds: (backfill: Backfill) => number;
  /** The SQL statements or store calls the step is made of, to mark the one a stopped run was in. */
  readonly names?: readonly string[];
}

const sqlOf = (backfill: Backfill, names: readonly string[]) =>
  backfill.sql.filter((call) => names.includes(call.name)).reduce((sum, call) => sum + call.milliseconds, 0);
const storeOf = (backfill: Backfill, names: readonly string[]) =>
  backfill.store
    .filter((call) => names.includes(call.name))
    .reduce((sum, call) => sum + call.milliseconds, 0);
const total = (calls: readonly { milliseconds: number }[]) =>
  calls.reduce((sum, call) => sum + call.milliseconds, 0);
const sqlStep = (step: string, names: readonly string[]): Step => ({
  step,
  names,
  milliseconds: (b) => sqlOf(b, names),
});

/** Where a backfill's time goes, in the order it happens; the steps add up to the whole. */
const STEPS: readonly Step[] = [
  { step: 'open DuckDB (define the lake tables) and the KPI store', milliseconds: (b) => b.openMilliseconds },
  { step: 'list the lake files', milliseconds: (b) => b.listMilliseconds },
  sqlStep(
    'views: define',
    VIEWS.map((view) => view.id),
  ),
  sqlStep('views: snapshot (reads every file)', ['snapshot views']),
  // One step per KPI file: a file serving several metrics runs once, whichever metric's call ran it.
  ...[...new Set(KPI_QUERIES.map((query) => query.file))].map((file) => {
    const ids = KPI_QUERIES.filter((query) => query.file === file).map((query) => query.id);
    return sqlStep(`SQL ${file}: ${ids.join(', ')} (all grains)`, ids);
  }),
  { step: 'KPI store: replacePeriods (all metrics)', milliseconds: (b) => storeOf(b, ['replacePeriods']) },
  sqlStep('SQL cohort_retention', ['cohort_retention']),
  sqlStep('SQL revenue_cohort_retention', ['revenue_cohort_retention']),
  { step: 'KPI store: replaceCohorts', milliseconds: (b) => storeOf(b, ['replaceCohorts']) },
  ...ANALYSIS_QUERIES.filter((query) => !query.id.includes('cohort')).map((query) =>
    sqlStep(`SQL ${query.id}`, [query.id]),
  ),
  { step: 'KPI store: replaceAnalysis', milliseconds: (b) => storeOf(b, ['replaceAnalysis']) },
  {
    step: 'KPI store: summaries and watermark',
    milliseconds: (b) => storeOf(b, ['series', 'segments', 'putSummary', 'watermark', 'setWatermark']),
  },
  {
    step: 'other (JavaScript between the calls; for a stopped run, the statement it was in)',
    milliseconds: (b) =>
      Math.max(0, b.aggregateMilliseconds - b.listMilliseconds - total(b.sql) - total(b.store)),
  },
];

function breakdownTable(runs: readonly SizeRun[]): ResultTable {
  return {
    columns: [
      'backfill step',
      ...runs.flatMap((run) => [`${label(run.size)} ms`, `${label(run.size)} share`]),
    ],
    rows: [
      ...STEPS.map((step) => [
        step.step,
        ...runs.flatMap((run) => {
          const { backfill } = run;
          const ms = step.milliseconds(backfill);
          const stoppedHere =
            !backfill.finished && backfill.running && step.names?.includes(backfill.running);
          return [
            `${ms.toFixed(0)}${stoppedHere ? ' + stopped in it' : ''}`,
            percent(ms / (backfill.seconds * 1000)),
          ];
        }),
      ]),
      [
        'total',
        ...runs.flatMap((run) => [
          `${(run.backfill.seconds * 1000).toFixed(0)}${run.backfill.finished ? '' : ' (stopped)'}`,
          '100 %',
        ]),
      ],
    ],
  };
}

function findingsOf(runs: readonly SizeRun[], plan: Plan): string[] {
  const findings: string[] = [];
  for (const run of runs) {
    const scan = fastestScan(run);
    const { backfill } = run;
    const ratio = backfill.seconds / scan.seconds;
    const steps = STEPS.map((step) => ({ step: step.step, ms: step.milliseconds(backfill) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 3);
    const outcome = backfill.finished
      ? `backfill ${backfill.seconds.toFixed(1)} s against a ${scan.seconds.toFixed(1)} s scan = ${ratio.toFixed(1)}× (goal ≤ ${GOAL_RATIO}×: ${ratio <= GOAL_RATIO ? 'met' : 'missed'})`
      : `the backfill did not finish within its ${(plan.backfillBudgetMs / 60_000).toFixed(0)} min budget (stopped in \`${backfill.running ?? 'JavaScript'}\`), over ${ratio.toFixed(0)}× the ${scan.seconds.toFixed(1)} s scan (goal ≤ ${GOAL_RATIO}×: missed)`;
    const interrupted = run.queries.queries
      .filter((query) => query.milliseconds === null)
      .map((query) => query.id);
    findings.push(
      `${label(run.size)} events: ${outcome}; peak RSS ${backfill.peakRssMiB === undefined ? 'n/a' : `${backfill.peakRssMiB.toFixed(0)} MiB`} (scan: ${scan.peakRssMiB.toFixed(0)} MiB). Most of its time: ${steps.map((step) => `${step.step} ${(step.ms / 1000).toFixed(1)} s`).join(', ')}.${interrupted.length > 0 ? ` One by one, ${interrupted.map((id) => `\`${id}\``).join(', ')} did not finish within ${run.queries.timeoutMs / 1000} s.` : ''}`,
    );
  }
  const largest = runs[runs.length - 1]!;
  const blockwise = largest.queries.queries.filter((query) => (query.joins.BLOCKWISE_NL_JOIN ?? 0) > 0);
  if (blockwise.length > 0) {
    const seconds = (query: QueriesResult['queries'][number]) =>
      query.milliseconds === null
        ? `> ${largest.queries.timeoutMs / 1000} s`
        : `${(query.milliseconds / 1000).toFixed(1)} s`;
    findings.push(
      `Where the time goes: DuckDB plans a BLOCKWISE_NL_JOIN, which compares every row of one side with every row of the other, in ${blockwise.map((query) => `\`${query.id}\` (${seconds(query)} at ${label(largest.size)})`).join(', ')}. It does so when a join condition cannot be split into comparisons between the two sides, such as an open end written \`(u.ended_at IS NULL OR u.ended_at > s.occurred_at)\`: the join then compares every pair of rows and grows with the square of the lake. Written \`coalesce(u.ended_at, TIMESTAMP '9999-12-31 00:00:00') > s.occurred_at\` (the same meaning, and valid Trino) it becomes a hash or range join, which is how the revenue queries are written; the bench measures the queries as they are in \`queries/\`.`,
    );
  }
  if (runs.length > 1) {
    const [small, large] = [runs[0]!, runs[runs.length - 1]!];
    const factor = large.size / small.size;
    findings.push(
      `From ${label(small.size)} to ${label(large.size)} events (${factor}×): the scan took ${(fastestScan(large).seconds / fastestScan(small).seconds).toFixed(1)}× as long, the views' snapshot ${(large.queries.snapshotMilliseconds / small.queries.snapshotMilliseconds).toFixed(1)}×.`,
    );
  }
  return findings;
}

function fastestScan(run: SizeRun): ScanResult {
  return run.scans.reduce((best, scan) => (scan.seconds < best.seconds ? scan : best));
}

export function label(size: number): string {
  return size >= 1_000_000 ? `${size / 1_000_000}M` : `${size / 1000}k`;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}
