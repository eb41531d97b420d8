import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  type QueryExecution,
  type QueryExecutionStatus,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { SNAPSHOT_TABLE_PREFIX } from '../../queries/registry.js';
import { compactedTableName, type LakeTable } from '../lake/layout.js';
import type { SnapshotOptions, SqlEngine, SqlRow, SqlValue } from '../ports/sql-engine.js';
import { athenaStatement } from './athena-placeholders.js';

export interface AthenaSqlEngineOptions {
  readonly client: AthenaClient;
  /** The workgroup: it enforces the results location, encryption and the bytes-scanned cutoff. */
  readonly workGroup: string;
  /** The Glue database of the lake tables. */
  readonly database: string;
  /**
   * Longest a statement may take, its resubmissions included, before it is stopped (or not resubmitted again).
   * @default 5 minutes
   */
  readonly deadlineMs?: number;
  /** First wait between status polls; it doubles up to maxPollMs. @default 200 ms */
  readonly firstPollMs?: number;
  /** @default 2000 ms */
  readonly maxPollMs?: number;
  /** Waits between status polls and before a resubmission. */
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
    /** The execution of the last attempt. */
    readonly queryExecutionId: string,
    readonly state: string,
    /** How many times the statement was submitted. */
    readonly attempts: number,
  ) {
    super(message);
    this.name = 'AthenaQueryError';
  }
}

/** `CREATE OR REPLACE VIEW <database>.<view> AS <select>`, after any leading comment lines. */
const VIEW_DEFINITION =
  /^(?:\s*--[^\n]*\n)*\s*CREATE OR REPLACE VIEW ([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*) AS\s([\s\S]*)$/i;

/**
 * Athena counts queued queries against the account's active-query quota and refuses StartQueryExecution beyond it
 * with TooManyRequestsException. The SDK's default, 3 attempts a few hundred milliseconds apart, fails a whole
 * aggregation on a short burst; 8 attempts in adaptive mode (throttling backoff that grows to tens of seconds, and a
 * client-side send rate that slows down once throttled) wait it out. For every AthenaClient an engine is given.
 */
export const ATHENA_CLIENT_RETRIES = { maxAttempts: 8, retryMode: 'adaptive' } as const;

/** Whitespace and comments before a statement's first keyword. Nothing before them can open a string literal. */
const LEADING_COMMENTS = /^(?:\s|--[^\n]*|\/\*[\s\S]*?\*\/)*/;

/**
 * Statements that change nothing, or leave the same state however often they run: a failed one may be submitted
 * again as it is. INSERT INTO and CREATE TABLE AS are resubmitted only by the callers that know theirs are safe
 * (appendCompacted, snapshotViews).
 */
const REPEATABLE_STATEMENT =
  /^(?:SELECT|WITH|SHOW|CREATE\s+OR\s+REPLACE\s+VIEW|DROP\s+TABLE\s+IF\s+EXISTS)\b/i;

/** A statement is submitted at most this often: once, and twice more after a failure worth resubmitting. */
const MAX_ATTEMPTS = 3;

/** The wait before the first resubmission; it doubles for the next. */
const FIRST_RESUBMIT_WAIT_MS = 1000;

/**
 * What Athena says when a query listed a file and found it gone when it opened it. Compaction deletes the JSON files
 * it has copied to Parquet, so an aggregation reading that day meanwhile fails this way; run again, it lists the
 * Parquet copy (written before the deletion) instead. Matched case-sensitively, as Athena and S3 spell them.
 */
const VANISHED_FILE_MESSAGES = [
  'HIVE_CANNOT_OPEN_SPLIT',
  'NoSuchKey',
  'The specified key does not exist',
  'HIVE_FILE_NOT_FOUND',
];

/** When a failed attempt may be submitted again. */
interface Resubmission {
  /** Whether the statement is safe to run again after a failure. @default whether it is a REPEATABLE_STATEMENT */
  readonly allowed?: boolean;
  /** Clears what a failed attempt may have left in the way of the next one. */
  readonly beforeResubmit?: () => Promise<void>;
}

interface StatementResult {
  readonly rows: SqlRow[];
  /** The rows an INSERT INTO or CREATE TABLE AS wrote, as Athena reports them. */
  readonly updateCount: number | undefined;
}

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
 * athena-placeholders.ts); results come back typed from the result set metadata. A statement that fails for a
 * passing reason (Athena calls the error retryable, or a file vanished under it) is resubmitted, when it is safe to
 * run again; throttled API calls are the client's to retry (lambdas/runtime/analytics-environment.ts).
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
    if (!view) return this.run(this.readingSnapshots(sql), parameters);
    // Athena's DDL parsing chokes on comments before CREATE, so a view goes without its leading comment block. Other
    // statements keep theirs: the first line names the query in Athena's query history.
    const ddl = withoutLeadingComments(sql);
    if (view[1] === this.database) {
      // A view is defined against the views, never against a run's snapshots.
      this.definitions.set(view[2]!, view[3]!);
      return this.run(ddl, parameters);
    }
    return this.run(this.readingSnapshots(ddl), parameters);
  }

  /**
   * Materializes the configured views, in dependency order, as Parquet tables (CTAS into the workgroup's results
   * location, which expires them), each built from the snapshots before it; the statements that follow read them
   * instead of the views. The definitions come from the CREATE OR REPLACE VIEW statements this engine ran.
   */
  async snapshotViews(views: readonly string[], options: SnapshotOptions = {}): Promise<void> {
    await this.releaseSnapshots();
    await this.sweepStaleSnapshots();
    const tag = `${this.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    for (const view of views) {
      const definition = this.definitions.get(view);
      if (!this.materializedViews.has(view) || definition === undefined) continue;
      const table = `${SNAPSHOT_TABLE_PREFIX}${tag}_${view}`;
      const source = this.readingSnapshots(this.readingFrom(definition, options.fromPartition));
      await this.run(`CREATE TABLE ${this.database}.${table} WITH (format = 'PARQUET') AS\n${source}`, [], {
        // Safe to run again: the CTAS writes nothing but its own table, whose name is this run's alone. Each
        // attempt writes its files under its own query id in the workgroup's results location, so their data
        // cannot collide; whether a failed attempt leaves the table in the catalog is not documented, so the name
        // is dropped before the next attempt.
        allowed: true,
        beforeResubmit: () => this.dropTable(table),
      });
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

  /**
   * The definition with each union of a lake table (`all_<table> alias`, fresh JSON and Parquet copy) read from this
   * partition on: Athena pushes the dt bound into both scans and lists only the projected days from there, instead of
   * every day since the stack's lakeStartDate, empty ones included. The bound drops no row: no partition is earlier.
   */
  private readingFrom(definition: string, fromPartition: string | undefined): string {
    if (fromPartition === undefined) return definition;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(fromPartition)) throw new Error(`not a dt partition: ${fromPartition}`);
    return definition.replace(
      new RegExp(`(?<![\\w.])(${this.database}\\.all_[a-z_]+)(?=\\s+[a-z_][a-z0-9_]*\\b)`, 'g'),
      `(SELECT * FROM $1 WHERE dt >= '${fromPartition}')`,
    );
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

  private async run(
    sql: string,
    parameters: readonly SqlValue[] = [],
    resubmission: Resubmission = {},
  ): Promise<SqlRow[]> {
    return (await this.execute(sql, parameters, resubmission)).rows;
  }

  /**
   * Runs the statement to success, submitting it again (up to MAX_ATTEMPTS in all, within one deadline) after a
   * failure that may pass, when resubmission allows.
   */
  private async execute(
    sql: string,
    parameters: readonly SqlValue[],
    resubmission: Resubmission,
  ): Promise<StatementResult> {
    const { queryString, executionParameters } = athenaStatement(sql, parameters);
    const repeatable = resubmission.allowed ?? REPEATABLE_STATEMENT.test(withoutLeadingComments(queryString));
    const deadline = Date.now() + this.deadlineMs;
    for (let attempt = 1; ; attempt++) {
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
      const status = (await this.waitForEnd(id, deadline, attempt)).Status;
      const state = status?.State ?? 'UNKNOWN';
      if (state === 'SUCCEEDED') return this.readResults(id);
      const reason = status?.AthenaError?.ErrorMessage ?? status?.StateChangeReason ?? 'no reason given';
      const wait = FIRST_RESUBMIT_WAIT_MS * 2 ** (attempt - 1);
      if (
        !repeatable ||
        attempt >= MAX_ATTEMPTS ||
        state !== 'FAILED' ||
        !mayPass(status) ||
        Date.now() + wait > deadline
      ) {
        throw new AthenaQueryError(
          `Athena query ${id} ${state} (${attempts(attempt)}): ${reason}`,
          id,
          state,
          attempt,
        );
      }
      console.warn(
        JSON.stringify({
          message: 'resubmitting a failed Athena query',
          queryExecutionId: id,
          attempt,
          reason,
        }),
      );
      await this.sleep(wait);
      await resubmission.beforeResubmit?.();
    }
  }

  async appendCompacted(
    table: LakeTable,
    select: string,
    parameters: readonly SqlValue[],
  ): Promise<number | undefined> {
    // Athena writes the Parquet files itself, under the Glue table's location, with the caller's S3 permissions.
    const { rows, updateCount } = await this.execute(
      this.readingSnapshots(`INSERT INTO ${this.database}.${compactedTableName(table)}\n${select}`),
      parameters,
      {
        // Safe to run again: the compaction SELECTs (queries/compaction/, the only caller being
        // lambdas/lake/compact-lake.ts) take the day's rows EXCEPT those its copy already holds, so a resubmission
        // adds only what a failed attempt did not leave behind (Athena may leave a failed INSERT's files in place),
        // and the views deduplicate whatever is in both.
        allowed: true,
      },
    );
    // Athena reports the rows an INSERT wrote as the result's UpdateCount; Trino's own answer is a `rows` column.
    if (updateCount !== undefined) return updateCount;
    const written = rows[0]?.rows;
    return typeof written === 'number' ? written : undefined;
  }

  async close(): Promise<void> {
    await this.releaseSnapshots();
  }

  /** Polls the execution until it ends (succeeded, failed or cancelled); stops it at the deadline. */
  private async waitForEnd(id: string, deadline: number, attempt: number): Promise<QueryExecution> {
    let wait = this.firstPollMs;
    for (;;) {
      const { QueryExecution: execution } = await this.client.send(
        new GetQueryExecutionCommand({ QueryExecutionId: id }),
      );
      const state = execution?.Status?.State;
      if (state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED') return execution!;
      if (Date.now() + wait > deadline) {
        await this.stop(id);
        throw new AthenaQueryError(
          `Athena query ${id} did not finish within ${this.deadlineMs} ms (${attempts(attempt)}) and was stopped`,
          id,
          state ?? 'UNKNOWN',
          attempt,
        );
      }
      await this.sleep(wait);
      wait = Math.min(wait * 2, this.maxPollMs);
    }
  }

  /**
   * Asks Athena to stop a query past its deadline. Best effort: the deadline is what the caller must hear about, and
   * a query left running is still bounded by the workgroup's bytes-scanned cutoff and Athena's own query timeout.
   */
  private async stop(id: string): Promise<void> {
    try {
      await this.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
    } catch (error) {
      console.warn(
        JSON.stringify({
          message: 'could not stop an Athena query past its deadline',
          queryExecutionId: id,
          error: String(error),
        }),
      );
    }
  }

  private async readResults(id: string): Promise<StatementResult> {
    const rows: SqlRow[] = [];
    let updateCount: number | undefined;
    let token: string | undefined;
    let columns: { name: string; type: string }[] | undefined;
    let first = true;
    do {
      const page: GetQueryResultsCommandOutput = await this.client.send(
        new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token, MaxResults: 1000 }),
      );
      updateCount ??= page.UpdateCount;
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
    return { rows, updateCount };
  }
}

function withoutLeadingComments(sql: string): string {
  return sql.slice(LEADING_COMMENTS.exec(sql)![0].length);
}

/** Whether a failed query may succeed when submitted again. */
function mayPass(status: QueryExecutionStatus | undefined): boolean {
  if (status?.AthenaError?.Retryable === true) return true;
  const text = `${status?.AthenaError?.ErrorMessage ?? ''}\n${status?.StateChangeReason ?? ''}`;
  return VANISHED_FILE_MESSAGES.some((message) => text.includes(message));
}

function attempts(count: number): string {
  return count === 1 ? '1 attempt' : `${count} attempts`;
}

function fromAthena(text: string | undefined, type: string): SqlValue {
  if (text === undefined) return null;
  const base = type.replace(/\(.*$/, '');
  if (NUMERIC_TYPES.has(base)) return Number(text);
  if (base === 'boolean') return text === 'true';
  if (base === 'timestamp') return text.replace(/\.(\d{3})\d*$/, '.$1');
  return text;
}
