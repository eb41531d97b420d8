import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { DuckDbSqlEngine } from '../lambdas/adapters/duckdb-sql-engine.js';
import { LocalDiskObjectStore } from '../lambdas/adapters/local-disk-object-store.js';
import { aggregateKpis } from '../lambdas/kpis/aggregate-kpis.js';
import { LAKE_TABLES, TABLES_PREFIX } from '../lambdas/lake/layout.js';
import { TABLE_COLUMNS } from '../lambdas/lake/table-schemas.js';
import { localHome } from '../lambdas/local/home.js';
import { serveLocalKpiStore } from '../lambdas/local/local-kpi-store.js';
import type { KpiStore } from '../lambdas/ports/kpi-store.js';
import type { SqlEngine } from '../lambdas/ports/sql-engine.js';
import {
  ALL_QUERIES,
  ANALYSIS_QUERIES,
  KPI_QUERIES,
  positionalValues,
  RUN_SNAPSHOT_VIEWS,
  renderSql,
  VIEWS,
} from '../queries/registry.js';
import { LAKE_END, LAKE_MONTHS } from './kpi-lake.js';

/**
 * One KPI benchmark measurement in a process of its own (run by kpis.ts), so its peak RSS is its own:
 *
 *   node --import tsx bench/kpi-worker.ts scan <lake root>
 *   node --import tsx bench/kpi-worker.ts backfill <lake root> <home>
 *   node --import tsx bench/kpi-worker.ts queries <lake root> <timeout ms per query>
 *
 * `scan` reads every table file once with DuckDB (the floor any aggregation over JSON lines pays). `backfill` runs
 * `aggregateKpis` with backfill as `npm run aggregate -- --backfill` does, with every SQL statement and KPI store call
 * timed and printed as it ends (`SQL`/`STORE` lines, `BEGIN` before each statement), so a run stopped at its time
 * budget still says where its time went. `queries` creates and snapshots the views as the aggregation does, then times
 * each KPI query (month grain, every month of the lake) and each analysis query on its own, interrupting any that
 * outlives the timeout. Each prints one line `RESULT <json>` at the end.
 */

export interface ScanResult {
  readonly seconds: number;
  readonly peakRssMiB: number;
  readonly tables: Readonly<Record<string, { rows: number; checksum: number }>>;
}

export interface QueryTiming {
  readonly id: string;
  readonly kind: 'kpi' | 'analysis';
  /** Null when it was interrupted at the timeout. */
  readonly milliseconds: number | null;
  readonly rows: number | null;
  /** The join operators of DuckDB's physical plan, by name (HASH_JOIN, BLOCKWISE_NL_JOIN…), from EXPLAIN. */
  readonly joins: Readonly<Record<string, number>>;
}

export interface QueriesResult {
  readonly defineViewsMilliseconds: number;
  readonly snapshotMilliseconds: number;
  readonly timeoutMs: number;
  readonly queries: readonly QueryTiming[];
  readonly peakRssMiB: number;
}

export interface TimedCall {
  /** A registered query id, `snapshot views`, or a KPI store method. */
  readonly name: string;
  readonly milliseconds: number;
}

export interface BackfillResult {
  readonly seconds: number;
  readonly peakRssMiB: number;
  /** Opening DuckDB (defining the lake tables) and the KPI store, before the aggregation starts. */
  readonly openMilliseconds: number;
  readonly aggregateMilliseconds: number;
  /** From the start of aggregateKpis to its first SQL statement: listing the lake's files. */
  readonly listMilliseconds: number;
  readonly sql: readonly TimedCall[];
  readonly store: readonly TimedCall[];
  readonly runs: readonly { metric: string; grain: string; milliseconds: number; written: number }[];
  readonly cohorts: readonly { kind: string; milliseconds: number; written: number }[];
  readonly points: number;
}

const DUCKDB_TYPES = { varchar: 'VARCHAR', double: 'DOUBLE', timestamp: 'TIMESTAMP' } as const;

async function scan(lakeRoot: string): Promise<ScanResult> {
  const began = performance.now();
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const tables: Record<string, { rows: number; checksum: number }> = {};
  for (const table of LAKE_TABLES) {
    const columns = TABLE_COLUMNS[table];
    const glob = path.join(lakeRoot, TABLES_PREFIX, table, 'dt=*', '*.jsonl');
    // The same reader and options as the DuckDB engine's table views; the sums make DuckDB convert a text and a
    // timestamp column of every row, not just count lines.
    const reader = await connection.runAndReadAll(
      `SELECT count(*) AS rows, sum(length(event_id)) + sum(epoch(occurred_at)) / 1e6 AS checksum
       FROM read_json('${glob}', format = 'newline_delimited',
         columns = {${columns.map((c) => `'${c.name}': '${DUCKDB_TYPES[c.type]}'`).join(', ')}},
         hive_partitioning = true, hive_types = {'dt': 'VARCHAR'}, timestampformat = '%Y-%m-%d %H:%M:%S.%g')`,
    );
    const [rows, checksum] = reader.getRows()[0]!;
    tables[table] = { rows: Number(rows), checksum: Number(checksum) };
  }
  connection.closeSync();
  instance.closeSync();
  return { seconds: (performance.now() - began) / 1000, peakRssMiB: peakRssMiB(), tables };
}

async function backfill(lakeRoot: string, homeRoot: string): Promise<BackfillResult> {
  const sql: TimedCall[] = [];
  const storeCalls: TimedCall[] = [];
  let firstSqlAt: number | undefined;
  const began = performance.now();
  const lake = await LocalDiskObjectStore.open({ root: lakeRoot, durability: 'none' });
  const kpiStore = await serveLocalKpiStore(localHome(homeRoot));
  const duckdb = await DuckDbSqlEngine.open({ lakeRoot });
  const opened = performance.now();
  emit('OPENED', { milliseconds: opened - began });

  const names = new Map(ALL_QUERIES.map((query) => [renderSql(query, duckdb.database), query.id]));
  const engine: SqlEngine = {
    name: duckdb.name,
    database: duckdb.database,
    async query(text, parameters) {
      const start = performance.now();
      if (firstSqlAt === undefined) {
        firstSqlAt = start;
        emit('LISTED', { milliseconds: start - opened });
      }
      const name = names.get(text) ?? 'other';
      emit('BEGIN', { name });
      try {
        return await duckdb.query(text, parameters);
      } finally {
        sql.push(emit('SQL', { name, milliseconds: performance.now() - start }));
      }
    },
    appendCompacted: (table, select, parameters) => duckdb.appendCompacted(table, select, parameters),
    async snapshotViews(views, options) {
      const start = performance.now();
      emit('BEGIN', { name: 'snapshot views' });
      try {
        await duckdb.snapshotViews(views, options);
      } finally {
        sql.push(emit('SQL', { name: 'snapshot views', milliseconds: performance.now() - start }));
      }
    },
    close: () => duckdb.close(),
  };
  const store = timed(kpiStore.store, storeCalls);
  try {
    const report = await aggregateKpis({
      engine,
      lake,
      store,
      asOf: LAKE_END,
      backfill: true,
      now: () => new Date(),
    });
    const finished = performance.now();
    return {
      seconds: (finished - began) / 1000,
      peakRssMiB: peakRssMiB(),
      openMilliseconds: opened - began,
      aggregateMilliseconds: finished - opened,
      listMilliseconds: (firstSqlAt ?? finished) - opened,
      sql,
      store: storeCalls,
      runs: report.runs.map((run) => ({
        metric: run.metric,
        grain: run.grain,
        milliseconds: run.milliseconds,
        written: run.written,
      })),
      cohorts: report.cohorts.map((run) => ({
        kind: run.kind,
        milliseconds: run.milliseconds,
        written: run.written,
      })),
      points: report.runs.reduce((sum, run) => sum + run.written, 0),
    };
  } finally {
    await duckdb.close();
    await kpiStore.close();
    await lake.close();
  }
}

/** The KPI store with every call timed under its method's name. */
function timed(store: KpiStore, calls: TimedCall[]): KpiStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const start = performance.now();
        try {
          return await value.apply(target, args);
        } finally {
          calls.push(emit('STORE', { name: String(property), milliseconds: performance.now() - start }));
        }
      };
    },
  });
}

async function queries(lakeRoot: string, timeoutMs: number): Promise<QueriesResult> {
  const engine = await DuckDbSqlEngine.open({ lakeRoot });
  try {
    const began = performance.now();
    for (const view of VIEWS) await engine.query(renderSql(view, engine.database));
    const defined = performance.now();
    await engine.snapshotViews(RUN_SNAPSHOT_VIEWS);
    const snapshotted = performance.now();
    emit('SQL', { name: 'snapshot views', milliseconds: snapshotted - defined });
    // The parameters aggregateKpis passes for a backfill of every month of the lake.
    const start = new Date(LAKE_END);
    start.setUTCMonth(start.getUTCMonth() - LAKE_MONTHS);
    const before = new Date(start);
    before.setUTCMonth(before.getUTCMonth() - 1);
    const values = {
      grain: 'month',
      period_from: isoDate(start),
      as_of: LAKE_END.toISOString().replace('T', ' ').replace('Z', ''),
      low_sample_min: 30,
      first_dt: isoDate(before),
      last_dt: isoDate(new Date(LAKE_END.getTime() - 1)),
      horizon_days: 90,
    };
    const timings: QueryTiming[] = [];
    for (const query of [...KPI_QUERIES, ...ANALYSIS_QUERIES]) {
      const sql = renderSql(query, engine.database);
      const parameters = positionalValues(query, values);
      const joins = joinsOf(await engine.query(`EXPLAIN (FORMAT json) ${sql}`, parameters));
      const queryStart = performance.now();
      emit('BEGIN', { name: query.id });
      // DuckDB stops a running statement when its connection is interrupted; the connection stays usable.
      const timer = setTimeout(() => connectionOf(engine).interrupt(), timeoutMs);
      let timing: QueryTiming;
      try {
        const rows = await engine.query(sql, parameters);
        timing = {
          id: query.id,
          kind: query.kind === 'kpi' ? 'kpi' : 'analysis',
          milliseconds: performance.now() - queryStart,
          rows: rows.length,
          joins,
        };
      } catch (error) {
        if (!/interrupt/i.test(String(error))) throw error;
        timing = {
          id: query.id,
          kind: query.kind === 'kpi' ? 'kpi' : 'analysis',
          milliseconds: null,
          rows: null,
          joins,
        };
      } finally {
        clearTimeout(timer);
      }
      timings.push(emit('QUERY', timing));
    }
    return {
      defineViewsMilliseconds: defined - began,
      snapshotMilliseconds: snapshotted - defined,
      timeoutMs,
      queries: timings,
      peakRssMiB: peakRssMiB(),
    };
  } finally {
    await engine.close();
  }
}

/**
 * The engine's DuckDB connection, to interrupt a statement: the adapter has no such method (the aggregation never
 * needs one), so the bench reaches for its private field.
 */
function connectionOf(engine: DuckDbSqlEngine): DuckDBConnection {
  return (engine as unknown as { connection: DuckDBConnection }).connection;
}

/** Counts the join operators in an `EXPLAIN (FORMAT json)` answer. */
function joinsOf(rows: readonly Record<string, unknown>[]): Record<string, number> {
  const joins: Record<string, number> = {};
  for (const row of rows) {
    for (const match of String(row.explain_value).matchAll(/"name":\s*"([A-Z_]*(?:JOIN|PRODUCT))"/g)) {
      joins[match[1]!] = (joins[match[1]!] ?? 0) + 1;
    }
  }
  return joins;
}

function isoDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** A progress line for the parent process; returns what it printed. */
function emit<T>(tag: string, value: T): T {
  console.log(`${tag} ${JSON.stringify(value)}`);
  return value;
}

/** The most resident memory this process had at any time (the kernel's high-water mark), in MiB. */
function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

const [mode, lakeRoot, home] = process.argv.slice(2);
if (mode === 'scan' && lakeRoot) {
  console.log(`RESULT ${JSON.stringify(await scan(lakeRoot))}`);
} else if (mode === 'backfill' && lakeRoot && home) {
  console.log(`RESULT ${JSON.stringify(await backfill(lakeRoot, home))}`);
} else if (mode === 'queries' && lakeRoot && Number(home) > 0) {
  console.log(`RESULT ${JSON.stringify(await queries(lakeRoot, Number(home)))}`);
} else {
  console.error(
    'usage: kpi-worker.ts scan <lake root> | backfill <lake root> <home> | queries <lake root> <timeout ms>',
  );
  process.exitCode = 2;
}
