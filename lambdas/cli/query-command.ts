import { parseArgs } from 'node:util';
import {
  ALL_QUERIES,
  findQuery,
  type KpiQuery,
  metricRows,
  positionalValues,
  type RegisteredQuery,
  renderSql,
  VIEWS,
} from '../../queries/registry.js';
import { DuckDbSqlEngine } from '../adapters/duckdb-sql-engine.js';
import { readSettings } from '../config/settings.js';
import { localHome } from '../local/home.js';
import type { SqlEngine, SqlRow, SqlValue } from '../ports/sql-engine.js';
import { type Command, UsageError } from './command.js';
import { formatRows, type OutputFormat } from './format-table.js';

function listing(): string {
  return ALL_QUERIES.filter((query) => query.kind !== 'view')
    .map(
      (query) =>
        `  ${query.id.padEnd(20)} ${query.title}\n  ${''.padEnd(20)} parameters: ${query.parameters.map((p) => p.name).join(', ') || '(none)'}`,
    )
    .join('\n');
}

/** Defaults for the parameters every KPI query shares, so `npm run query -- nps` just works. */
function defaultValues(now: Date): Record<string, string> {
  const asOf = now.toISOString().replace('T', ' ').replace('Z', '');
  return {
    grain: 'month',
    period_from: '2000-01-01',
    as_of: asOf,
    first_dt: '2000-01-01',
    last_dt: now.toISOString().slice(0, 10),
    low_sample_min: '30',
    horizon_days: '90',
    dt: new Date(now.getTime() - 24 * 3600 * 1000).toISOString().slice(0, 10),
  };
}

export const queryCommand: Command = {
  name: 'query',
  summary: 'run a registered SQL query on the local lake, or on Athena',
  usage: `Usage: npm run query -- <name> [--param key=value ...] [--format table|csv|json]
       npm run query -- <name> --engine athena --workgroup <workgroup> [--database <glue database>] [...]

Runs one of the queries in queries/ on the local lake with DuckDB, or with --engine athena on the deployed lake in
Athena: the same SQL as the named query of that file in the workgroup (docs/deploy.md). On Athena the views are the
ones the aggregation keeps up to date; credentials and region come from the usual AWS settings (AWS_PROFILE,
AWS_REGION). --database defaults to the workgroup's stage: cs-pulse-<stage> queries cs_pulse_<stage>.

Queries:
${listing()}

Parameters not given take defaults: grain=month, period_from=2000-01-01, as_of=now, first_dt, last_dt,
low_sample_min=30, horizon_days=90, dt=yesterday.
`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        param: { type: 'string', multiple: true, default: [] },
        format: { type: 'string', default: 'table' },
        engine: { type: 'string', default: 'duckdb' },
        workgroup: { type: 'string' },
        database: { type: 'string' },
      },
      strict: true,
    });
    const [name] = positionals;
    if (!name) throw new UsageError('name a query');
    const query = findQuery(name);
    if (!query || query.kind === 'view') throw new UsageError(`there is no query "${name}"`);
    const format = values.format as OutputFormat;
    if (!['table', 'csv', 'json'].includes(format))
      throw new UsageError(`--format is table, csv or json, not ${values.format}`);
    const given: Record<string, string> = {};
    for (const pair of values.param) {
      const equals = pair.indexOf('=');
      if (equals <= 0) throw new UsageError(`--param wants key=value, not "${pair}"`);
      given[pair.slice(0, equals)] = pair.slice(equals + 1);
    }
    const unknown = Object.keys(given).filter(
      (key) => !query.parameters.some((parameter) => parameter.name === key),
    );
    if (unknown.length > 0) throw new UsageError(`${query.id} has no parameter ${unknown.join(', ')}`);

    const engine = await openEngine(values);
    try {
      const rows = await runQuery(engine, query, { ...defaultValues(new Date()), ...given });
      // A metric served by a query shared with others (revenue.sql, surveys.sql) shows as its own points.
      const shown =
        query.kind === 'kpi' && (query as KpiQuery).columns ? metricRows(query as KpiQuery, rows) : rows;
      console.log(formatRows(shown, format));
      return 0;
    } finally {
      await engine.close();
    }
  },
};

async function openEngine(values: {
  engine: string;
  workgroup?: string;
  database?: string;
}): Promise<SqlEngine> {
  if (values.engine === 'duckdb') {
    if (values.workgroup || values.database)
      throw new UsageError('--workgroup and --database go with --engine athena');
    return DuckDbSqlEngine.open({ lakeRoot: localHome(readSettings().CS_PULSE_HOME).lake });
  }
  if (values.engine !== 'athena') throw new UsageError(`--engine is duckdb or athena, not ${values.engine}`);
  if (!values.workgroup)
    throw new UsageError('--engine athena needs --workgroup (the AthenaWorkgroupName output)');
  const database = values.database ?? stageDatabase(values.workgroup);
  if (!database)
    throw new UsageError(`name the Glue database of workgroup ${values.workgroup} with --database`);
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) {
    throw new UsageError(`--database wants a plain Glue database name, not "${database}"`);
  }
  // Loaded only here, so the local commands never load the AWS SDK.
  const [{ AthenaClient }, { ATHENA_CLIENT_RETRIES, AthenaSqlEngine }] = await Promise.all([
    import('@aws-sdk/client-athena'),
    import('../adapters/athena-sql-engine.js'),
  ]);
  return new AthenaSqlEngine({
    client: new AthenaClient(ATHENA_CLIENT_RETRIES),
    workGroup: values.workgroup,
    database,
  });
}

/** The stack names the workgroup cs-pulse-<stage> and the database cs_pulse_<stage>. */
function stageDatabase(workgroup: string): string | undefined {
  const stage = /^cs-pulse-([a-z][a-z0-9-]*)$/.exec(workgroup)?.[1];
  return stage ? `cs_pulse_${stage.replaceAll('-', '_')}` : undefined;
}

/**
 * Runs a registered query with its parameters picked by name, numbers sent as numbers. On DuckDB the views are
 * created first; on Athena they are the aggregation's.
 */
export async function runQuery(
  engine: SqlEngine,
  query: RegisteredQuery,
  values: Record<string, string>,
): Promise<SqlRow[]> {
  if (engine.name === 'duckdb') {
    for (const view of VIEWS) await engine.query(renderSql(view, engine.database));
  }
  const typed: Record<string, SqlValue> = {};
  for (const parameter of query.parameters) {
    const value = values[parameter.name];
    if (value === undefined) continue;
    typed[parameter.name] =
      parameter.type === 'integer' || parameter.type === 'double' ? numberOf(parameter.name, value) : value;
  }
  return engine.query(
    renderSql(query, engine.database),
    positionalValues(query, typed as Record<string, string | number | null>),
  );
}

function numberOf(name: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value))
    throw new UsageError(`--param ${name} wants a number, not "${text}"`);
  return value;
}
