import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import {
  COMPACTED_PREFIX,
  compactedTableName,
  LAKE_TABLES,
  type LakeTable,
  TABLES_PREFIX,
} from '../lake/layout.js';
import { TABLE_COLUMNS } from '../lake/table-schemas.js';
import type { SnapshotOptions, SqlEngine, SqlRow, SqlValue } from '../ports/sql-engine.js';

/**
 * The Trino-compatibility layer: settings and macros that make DuckDB answer Athena SQL the way Trino does.
 * ../shared/reference/sql-portability.md lists the traps; the ones that change numbers silently are handled here
 * (integer division) or refused by the SQL lint in test/queries (date_diff, decimal literals).
 */
const TRINO_COMPATIBILITY = [
  "SET TimeZone = 'UTC'", // Athena runs in UTC
  'SET integer_division = true', // Trino: 7 / 2 = 3 on integers
  // Trino functions DuckDB lacks under these names. None shadows a DuckDB built-in.
  'CREATE OR REPLACE MACRO sequence(a, b, step) AS generate_series(a, b, step)',
  'CREATE OR REPLACE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)',
  'CREATE OR REPLACE MACRO from_iso8601_date(s) AS CAST(s AS DATE)',
  'CREATE OR REPLACE MACRO approx_percentile(x, p) AS approx_quantile(x, p)',
  'CREATE OR REPLACE MACRO approx_distinct(x) AS approx_count_distinct(x)',
  'CREATE OR REPLACE MACRO to_unixtime(ts) AS epoch(ts)',
  'CREATE OR REPLACE MACRO day_of_week(ts) AS isodow(ts)',
  // Trino's normal_cdf(mean, sd, v). DuckDB has no erf, so erfc comes from the Chebyshev fit in Press et al.,
  // Numerical Recipes (2nd ed., §6.2, erfcc): fractional error below 1.2e-7 everywhere, tails included, which keeps
  // small p-values accurate. The helper names carry a cs_pulse_ prefix: queries must not call them (Trino lacks them).
  `CREATE OR REPLACE MACRO cs_pulse_erfc_chebyshev(z, t) AS t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))`,
  'CREATE OR REPLACE MACRO cs_pulse_erfc(x) AS CASE WHEN x >= 0 THEN cs_pulse_erfc_chebyshev(x, 1 / (1 + 0.5 * x)) ELSE 2 - cs_pulse_erfc_chebyshev(-x, 1 / (1 - 0.5 * x)) END',
  'CREATE OR REPLACE MACRO normal_cdf(mean, sd, v) AS 0.5 * cs_pulse_erfc((mean - v) / (sd * sqrt(2)))',
];

export interface DuckDbSqlEngineOptions {
  /** The lake folder (same layout as the S3 bucket). */
  readonly lakeRoot: string;
  /** Schema the lake tables and views are created in, standing in for the Glue database. @default 'lake' */
  readonly database?: string;
  /** DuckDB worker threads. @default DuckDB's choice (all cores) */
  readonly threads?: number;
}

const DUCKDB_TYPES = { varchar: 'VARCHAR', double: 'DOUBLE', timestamp: 'TIMESTAMP' } as const;

/**
 * Athena's stand-in on one machine: DuckDB in-process, reading the lake's JSON-lines partitions and the compacted
 * Parquet days directly, each as a view named like its Glue table.
 */
export class DuckDbSqlEngine implements SqlEngine {
  readonly name = 'duckdb' as const;
  readonly database: string;
  private readonly lakeRoot: string;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    options: DuckDbSqlEngineOptions,
  ) {
    this.lakeRoot = path.resolve(options.lakeRoot);
    this.database = options.database ?? 'lake';
  }

  static async open(options: DuckDbSqlEngineOptions): Promise<DuckDbSqlEngine> {
    const instance = await DuckDBInstance.create(':memory:', {
      // Athena promises no row order without ORDER BY, and every query here that needs one says so. Keeping the
      // scan order costs DuckDB its parallel inserts: the views' snapshot of a 1M-event lake took 3× as long.
      preserve_insertion_order: 'false',
      ...(options.threads ? { threads: String(options.threads) } : {}),
    });
    const connection = await instance.connect();
    const engine = new DuckDbSqlEngine(instance, connection, options);
    for (const statement of TRINO_COMPATIBILITY) await connection.run(statement);
    await connection.run(`CREATE SCHEMA IF NOT EXISTS ${engine.database}`);
    await engine.refreshTables();
    return engine;
  }

  /**
   * (Re)defines each lake table as a view over its files: `<table>` over the JSON-lines rows and `<table>_compacted`
   * over the Parquet days, as Glue declares them. A table with no files yet gets an empty view of the same columns;
   * call this again once files may have appeared or gone.
   */
  async refreshTables(): Promise<void> {
    for (const table of LAKE_TABLES) {
      await this.defineFreshTable(table);
      await this.defineCompactedTable(table);
    }
  }

  private async defineFreshTable(table: LakeTable): Promise<void> {
    const columns = TABLE_COLUMNS[table];
    const folder = path.join(this.lakeRoot, TABLES_PREFIX, table);
    const glob = path.join(folder, 'dt=*', '*.jsonl');
    const source = hasFiles(folder, '.jsonl')
      ? `SELECT ${columns.map((c) => c.name).join(', ')}, dt FROM read_json(${quote(glob)}, format = 'newline_delimited', ` +
        `columns = {${columns.map((c) => `${quote(c.name)}: '${DUCKDB_TYPES[c.type]}'`).join(', ')}}, ` +
        `hive_partitioning = true, hive_types = {'dt': 'VARCHAR'}, timestampformat = '%Y-%m-%d %H:%M:%S.%g')`
      : emptyTable(table);
    await this.connection.run(`CREATE OR REPLACE VIEW ${this.database}.${table} AS ${source}`);
  }

  private async defineCompactedTable(table: LakeTable): Promise<void> {
    const columns = TABLE_COLUMNS[table];
    const folder = path.join(this.lakeRoot, COMPACTED_PREFIX, table);
    const glob = path.join(folder, 'dt=*', '*.parquet');
    // The casts pin the Glue types whatever a Parquet file inferred (a column that was NULL throughout, say).
    const source = hasFiles(folder, '.parquet')
      ? `SELECT ${columns.map((c) => `CAST(${c.name} AS ${DUCKDB_TYPES[c.type]}) AS ${c.name}`).join(', ')}, dt ` +
        `FROM read_parquet(${quote(glob)}, hive_partitioning = true, hive_types = {'dt': 'VARCHAR'}, union_by_name = true)`
      : emptyTable(table);
    await this.connection.run(
      `CREATE OR REPLACE VIEW ${this.database}.${compactedTableName(table)} AS ${source}`,
    );
  }

  /**
   * Writes the rows as one Parquet file per day, under a temporary name first, so a reader never sees half a file.
   * The rows are staged in a temporary table because COPY cannot take parameters.
   */
  async appendCompacted(
    table: LakeTable,
    select: string,
    parameters: readonly SqlValue[],
  ): Promise<number | undefined> {
    const staged = 'cs_pulse_compaction_batch';
    await this.connection.run(
      `CREATE OR REPLACE TEMP TABLE ${staged} AS ${select}`,
      parameters as DuckDBValue[],
    );
    try {
      const days = await this.query(`SELECT dt, count(*) AS n FROM ${staged} GROUP BY dt ORDER BY dt`);
      let appended = 0;
      for (const { dt, n } of days) {
        if (typeof dt !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(dt))
          throw new Error(`bad dt ${String(dt)}`);
        const folder = path.join(this.lakeRoot, COMPACTED_PREFIX, table, `dt=${dt}`);
        await mkdir(folder, { recursive: true });
        const file = path.join(folder, `${randomUUID()}.parquet`);
        const partial = `${file}.partial`;
        try {
          await this.connection.run(
            `COPY (SELECT * EXCLUDE (dt) FROM ${staged} WHERE dt = ${quote(dt)}) TO ${quote(partial)} (FORMAT PARQUET)`,
          );
          await rename(partial, file);
        } finally {
          await rm(partial, { force: true });
        }
        appended += Number(n);
      }
      await this.defineCompactedTable(table);
      return appended;
    } finally {
      await this.connection.run(`DROP TABLE IF EXISTS ${staged}`);
    }
  }

  /** `options.fromPartition` changes nothing here: DuckDB reads the files that exist, not every projected day. */
  async snapshotViews(views: readonly string[], _options?: SnapshotOptions): Promise<void> {
    // In dependency order: a view re-pointed at its snapshot feeds the snapshots of the views built on it.
    for (const view of views) {
      const snapshot = `${this.database}.snapshot_${view}`;
      await this.connection.run(
        `CREATE OR REPLACE TABLE ${snapshot} AS SELECT * FROM ${this.database}.${view}`,
      );
      await this.connection.run(
        `CREATE OR REPLACE VIEW ${this.database}.${view} AS SELECT * FROM ${snapshot}`,
      );
    }
  }

  async query(sql: string, parameters: readonly SqlValue[] = []): Promise<SqlRow[]> {
    const reader =
      parameters.length > 0
        ? await this.connection.runAndReadAll(sql, parameters as DuckDBValue[])
        : await this.connection.runAndReadAll(sql);
    const names = reader.columnNames();
    return reader.getRows().map((values) => {
      const row: SqlRow = {};
      names.forEach((name, index) => {
        row[name] = toSqlValue(values[index] ?? null);
      });
      return row;
    });
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

function hasFiles(folder: string, extension: string): boolean {
  if (!existsSync(folder)) return false;
  for (const partition of readdirSync(folder)) {
    if (!partition.startsWith('dt=')) continue;
    if (readdirSync(path.join(folder, partition)).some((name) => name.endsWith(extension))) return true;
  }
  return false;
}

/** No rows, with the table's columns and types. */
function emptyTable(table: LakeTable): string {
  const columns = TABLE_COLUMNS[table];
  return `SELECT ${columns.map((c) => `CAST(NULL AS ${DUCKDB_TYPES[c.type]}) AS ${c.name}`).join(', ')}, CAST(NULL AS VARCHAR) AS dt WHERE false`;
}

function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** DuckDB values as plain JSON values: BIGINT and DECIMAL as numbers, DATE and TIMESTAMP as text. */
function toSqlValue(value: DuckDBValue): SqlValue {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return value;
  if (typeof value === 'bigint') return Number(value);
  const text = String(value);
  const numeric = Number(text);
  // DECIMAL values print as numbers; DATE and TIMESTAMP print as text that is not a number.
  if (text.trim() !== '' && Number.isFinite(numeric) && !/^\d{4}-\d{2}-\d{2}/.test(text)) return numeric;
  return text;
}
