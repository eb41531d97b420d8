import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  type QueryExecution,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { compactedTableName, type LakeTable } from '../lake/layout.js';
import type { SqlEngine, SqlRow, SqlValue } from '../ports/sql-engine.js';

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
}

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
 * The SQL engine on AWS: Athena (Trino engine v3) over the Glue tables. Values are sent as ExecutionParameters, never
 * spliced into the SQL; results come back typed from the result set metadata.
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

  constructor(options: AthenaSqlEngineOptions) {
    this.client = options.client;
    this.workGroup = options.workGroup;
    this.database = options.database;
    this.deadlineMs = options.deadlineMs ?? 5 * 60_000;
    this.firstPollMs = options.firstPollMs ?? 200;
    this.maxPollMs = options.maxPollMs ?? 2000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async query(sql: string, parameters: readonly SqlValue[] = []): Promise<SqlRow[]> {
    const started = await this.client.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        WorkGroup: this.workGroup,
        QueryExecutionContext: { Catalog: 'AwsDataCatalog', Database: this.database },
        ...(parameters.length > 0 ? { ExecutionParameters: parameters.map(toAthenaLiteral) } : {}),
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

  async close(): Promise<void> {}

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

/** ExecutionParameters are SQL literals: text quoted with quotes doubled, numbers as they are. */
export function toAthenaLiteral(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot send ${value} to Athena`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  return `'${value.replaceAll("'", "''")}'`;
}

function fromAthena(text: string | undefined, type: string): SqlValue {
  if (text === undefined) return null;
  const base = type.replace(/\(.*$/, '');
  if (NUMERIC_TYPES.has(base)) return Number(text);
  if (base === 'boolean') return text === 'true';
  if (base === 'timestamp') return text.replace(/\.(\d{3})\d*$/, '.$1');
  return text;
}
