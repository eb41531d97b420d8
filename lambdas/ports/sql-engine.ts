import type { LakeTable } from '../lake/layout.js';

/** A value passed to or returned from SQL: dates and timestamps travel as ISO-like text. */
export type SqlValue = string | number | boolean | null;
export type SqlRow = Record<string, SqlValue>;

export interface SnapshotOptions {
  /**
   * The earliest `dt` partition the lake holds (the caller has just listed it): a snapshot need read nothing before
   * it. Athena projects every day from the stack's lakeStartDate and lists each, empty or not, so a bound on dt saves
   * it a LIST per empty day. @default - no bound
   */
  readonly fromPartition?: string;
}

/**
 * The SQL engine that runs queries/: DuckDB in-process for `npm start`, Athena on AWS. Statements are Athena (Trino)
 * SQL with positional `?` parameters; each adapter makes its engine give Trino's answers.
 */
export interface SqlEngine {
  readonly name: 'duckdb' | 'athena';
  /** The database (DuckDB schema, Glue database) the lake tables are in. */
  readonly database: string;
  /** Runs one statement and returns its rows with numbers as numbers and dates as `YYYY-MM-DD` text. */
  query(sql: string, parameters?: readonly SqlValue[]): Promise<SqlRow[]>;
  /**
   * Optional: compute these views once and read the results in the queries that follow, because several KPI queries
   * read the same deduplicated views in one aggregation. DuckDB keeps them in memory; Athena writes the ones it is
   * configured to materialize as Parquet tables (CTAS) and rewrites later statements to read those, so the history
   * is scanned once per run rather than once per query. Call the views in dependency order.
   */
  snapshotViews?(views: readonly string[], options?: SnapshotOptions): Promise<void>;
  /** Optional: forget the snapshots (Athena drops its tables), so later statements read the views again. */
  releaseSnapshots?(): Promise<void>;
  /**
   * Appends the rows a SELECT returns (a lake table's columns, then dt) to that table's compacted Parquet copy,
   * `<table>_compacted`, under `compacted/<table>/dt=<dt>/`, and makes them visible to the queries that follow.
   * Athena runs INSERT INTO; DuckDB writes the file with COPY. Returns the number of rows appended when known.
   */
  appendCompacted(
    table: LakeTable,
    select: string,
    parameters: readonly SqlValue[],
  ): Promise<number | undefined>;
  close(): Promise<void>;
}
