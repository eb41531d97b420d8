import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  type QueryExecution,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { SNAPSHOT_TABLE_PREFIX } from '../../queries/registry.js';
import { compactedTableName, type LakeTable } from '../lake/layout.js';
import type { SqlEngine, SqlRow, SqlValue } from '../ports/sql-engine.js';
import { athenaStatement } from './athena-placeholders.js';

export interface AthenaSqlEngineOptions {
  readonly client: AthenaClient;
  /** The workgroup: it enforces the results location, encryption and the bytes-scanned cutoff. */
  readonly workGroup: string;
  /** The Glue database of the lake tables. */
  readonly database: string;
  /** Longest a statement may run before it is stopped. @default 5 minutes */
  readonly deadlineMs?: number;
  /** First wait between status polls; it doubles up to maxPollMs. @default 200 ms */
  readonly firstPollMs?: number;
  /** @default 2000 ms */
  readonly maxPollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * The views snapshotViews materializes as Parquet tables: those read over their whole history by many queries of
   * one run. Views the queries read a few dt partitions at a time are better left to partition pruning. @default none
   */
  readonly materializedViews?: readonly string[];
  /** The clock that dates snapshot tables, so stale ones (a run that crashed) can be swept. @default Date.now */
  readonly now?: () => number;
}

/** A snapshot older than this belongs to no running aggregation (a Lambda runs 15 minutes at most). */
const STALE_SNAPSHOT_MS = 3600_000;

/** A statement Athena did not run to success, with Athena's own reason. */
export class AthenaQueryError extends Error {
  constructor(
    message: string,
    readonly queryExecutionId: string,
    readonly state: string,
  ) {
    super(message);
    this.name = 'AthenaQueryError';
  }
}

/** `CREATE OR REPLACE VIEW <database>.<view> AS <select>`, after any leading comment lines. */
const VIEW_DEFINITION =
  /^(?:\s*--[^\n]*\n)*\s*CREATE OR REPLACE VIEW ([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*) AS\s([\s\S]*)$/i;

const NUMERIC_TYPES = new Set([
  'tinyint',
  'smallint',
  'integer',
  'int',
  'bigint',
  'double',
  'float',
  'real',
  'decimal',
]);

/**
 * The SQL engine on AWS: Athena (Trino engine v3) over the Glue tables. Values travel as SQL literals: as
 * ExecutionParameters where Athena allows them (a WHERE clause), written into the statement elsewhere (see
 * athena-placeholders.ts); results come back typed from the result set metadata.
 */
export class AthenaSqlEngine implements SqlEngine {
  readonly name = 'athena' as const;
  readonly database: string;
  private readonly client: AthenaClient;
  private readonly workGroup: string;
  private readonly deadlineMs: number;
  private readonly firstPollMs: number;
  private readonly maxPollMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly materializedViews: ReadonlySet<string>;
  private readonly now: () => number;
  /** The SELECT of each view this engine created, from its CREATE OR REPLACE VIEW statement. */
  private readonly definitions = new Map<string, string>();
  /** The snapshot table of each materialized view, while a run's snapshots are active. */
  private readonly snapshots = new Map<string, string>();

  constructor(options: AthenaSqlEngineOptions) {
    this.client = options.client;
    this.workGroup = options.workGroup;
    this.database = options.database;
    this.deadlineMs = options.deadlineMs ?? 5 * 60_000;
    this.firstPollMs = options.firstPollMs ?? 200;
    this.maxPollMs = options.maxPollMs ?? 2000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.materializedViews = new Set(options.materializedViews ?? []);
    this.now = options.now ?? Date.now;
  }

  async query(sql: string, parameters: readonly SqlValue[] = []): Promise<SqlRow[]> {
    const view = VIEW_DEFINITION.exec(sql);
    if (view?.[1] === this.database) {
      // A view is defined against the views, never against a run's snapshots.
      this.definitions.set(view[2]!, view[3]!);
      return this.run(sql, parameters);
    }
    return this.run(this.readingSnapshots(sql), parameters);
  }

  /**
   * Materializes the configured views, in dependency order, as Parquet tables (CTAS into the workgroup's results
   * location, which expires them), each built from the snapshots before it; the statements that follow read them
   * instead of the views. The definitions come from the CREATE OR REPLACE VIEW statements this engine ran.
   */
  async snapshotViews(views: readonly string[]): Promise<void> {
    await this.releaseSnapshots();
    await this.sweepStaleSnapshots();
    const tag = `${this.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    for (const view of views) {
      const definition = this.definitions.get(view);
      if (!this.materializedViews.has(view) || definition === undefined) continue;
      const table = `${SNAPSHOT_TABLE_PREFIX}${tag}_${view}`;
      await this.run(
        `CREATE TABLE ${this.database}.${table} WITH (format = 'PARQUET') AS\n${this.readingSnapshots(definition)}`,
      );
      this.snapshots.set(view, table);
    }
  }

  async releaseSnapshots(): Promise<void> {
    const tables = [...this.snapshots.values()];
    this.snapshots.clear();
    for (const table of tables) await this.dropTable(table);
  }

  /**
   * Drops snapshot tables a crashed run left behind (their data expires with the query results). Best effort: a
   * leftover table costs nothing but a line in the catalog, so a failure here does not stop the run.
   */
  private async sweepStaleSnapshots(): Promise<void> {
    let listed: SqlRow[];
    try {
      listed = await this.run(`SHOW TABLES IN ${this.database} '${SNAPSHOT_TABLE_PREFIX}*'`);
    } catch (error) {
      console.warn(JSON.stringify({ message: 'could not list stale snapshot tables', error: String(error) }));
      return;
    }
    for (const row of listed) {
      const table = String(Object.values(row)[0] ?? '');
      const created = Number.parseInt(table.slice(SNAPSHOT_TABLE_PREFIX.length).split('_')[0] ?? '', 36);
      if (Number.isFinite(created) && this.now() - created > STALE_SNAPSHOT_MS) await this.dropTable(table);
    }
  }

  private async dropTable(table: string): Promise<void> {
    if (!/^[a-z0-9_]+$/.test(table)) throw new Error(`not a snapshot table name: ${table}`);
    await this.run(`DROP TABLE IF EXISTS ${this.database}.${table}`);
  }

  /** The statement with every reference to a snapshotted view pointed at its snapshot table. */
  private readingSnapshots(sql: string): string {
    let rewritten = sql;
    for (const [view, table] of this.snapshots) {
      rewritten = rewritten.replace(
        new RegExp(`(?<![\\w.])${this.database}\\.${view}(?!\\w)`, 'g'),
        `${this.database}.${table}`,
      );
    }
    return rewritten;
  }

  private async run(sql: string, parameters: readonly SqlValue[] = []): Promise<SqlRow[]> {
    const { queryString, executionParameters } = athenaStatement(sql, parameters);
    const started = await this.client.send(
      new StartQueryExecutionCommand({
        QueryString: queryString,
        WorkGroup: this.workGroup,
        QueryExecutionContext: { Catalog: 'AwsDataCatalog', Database: this.database },
        ...(executionParameters.length > 0 ? { ExecutionParameters: [...executionParameters] } : {}),
      }),
    );
    const id = started.QueryExecutionId;
    if (!id) throw new Error('Athena returned no query execution id');
    await this.waitForSuccess(id);
    return this.readResults(id);
  }

  async appendCompacted(
    table: LakeTable,
    select: string,
    parameters: readonly SqlValue[],
  ): Promise<number | undefined> {
    // Athena writes the Parquet files itself, under the Glue table's location, with the caller's S3 permissions.
    const [result] = await this.query(
      `INSERT INTO ${this.database}.${compactedTableName(table)}\n${select}`,
      parameters,
    );
    // Trino answers an INSERT with one row, `rows`: how many it wrote.
    return typeof result?.rows === 'number' ? result.rows : undefined;
  }

  async close(): Promise<void> {
    await this.releaseSnapshots();
  }

  private async waitForSuccess(id: string): Promise<QueryExecution> {
    const deadline = Date.now() + this.deadlineMs;
    let wait = this.firstPollMs;
    for (;;) {
      const { QueryExecution: execution } = await this.client.send(
        new GetQueryExecutionCommand({ QueryExecutionId: id }),
      );
      const state = execution?.Status?.State;
      if (state === 'SUCCEEDED') return execution!;
      if (state === 'FAILED' || state === 'CANCELLED') {
        const reason =
          execution?.Status?.AthenaError?.ErrorMessage ??
          execution?.Status?.StateChangeReason ??
          'no reason given';
        throw new AthenaQueryError(`Athena query ${id} ${state}: ${reason}`, id, state);
      }
      if (Date.now() + wait > deadline) {
        await this.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
        throw new AthenaQueryError(
          `Athena query ${id} did not finish within ${this.deadlineMs} ms and was stopped`,
          id,
          state ?? 'UNKNOWN',
        );
      }
      await this.sleep(wait);
      wait = Math.min(wait * 2, this.maxPollMs);
    }
  }

  private async readResults(id: string): Promise<SqlRow[]> {
    const rows: SqlRow[] = [];
    let token: string | undefined;
    let columns: { name: string; type: string }[] | undefined;
    let first = true;
    do {
      const page: GetQueryResultsCommandOutput = await this.client.send(
        new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token, MaxResults: 1000 }),
      );
      columns ??= (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((column) => ({
        name: column.Name ?? column.Label ?? '',
        type: (column.Type ?? 'varchar').toLowerCase(),
      }));
      const data = page.ResultSet?.Rows ?? [];
      for (const [index, row] of data.entries()) {
        const cells = row.Data ?? [];
        // A SELECT's first row repeats the column names.
        if (
          first &&
          index === 0 &&
          cells.length === columns.length &&
          cells.every((cell, i) => cell.VarCharValue === columns![i]!.name)
        ) {
          continue;
        }
        const typed: SqlRow = {};
        columns.forEach((column, i) => {
          typed[column.name] = fromAthena(cells[i]?.VarCharValue, column.type);
        });
        rows.push(typed);
      }
      first = false;
      token = page.NextToken;
    } while (token);
    return rows;
  }
}

function fromAthena(text: string | undefined, type: string): SqlValue {
  if (text === undefined) return null;
  const base = type.replace(/\(.*$/, '');
  if (NUMERIC_TYPES.has(base)) return Number(text);
  if (base === 'boolean') return text === 'true';
  if (base === 'timestamp') return text.replace(/\.(\d{3})\d*$/, '.$1');
  return text;
}
