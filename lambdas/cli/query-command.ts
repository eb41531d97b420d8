import { parseArgs } from 'node:util';
import {
  ALL_QUERIES,
  findQuery,
  positionalValues,
  type RegisteredQuery,
  renderSql,
  VIEWS,
} from '../../queries/registry.js';
import { DuckDbSqlEngine } from '../adapters/duckdb-sql-engine.js';
import { readSettings } from '../config/settings.js';
import { localHome } from '../local/home.js';
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
  };
}

export const queryCommand: Command = {
  name: 'query',
  summary: 'run a registered SQL query on the local lake',
  usage: `Usage: npm run query -- <name> [--param key=value ...] [--format table|csv|json]

Runs one of the queries in queries/ on the local lake with DuckDB: the same SQL Athena runs on AWS.

Queries:
${listing()}

Parameters not given take defaults: grain=month, period_from=2000-01-01, as_of=now, first_dt, last_dt,
low_sample_min=30, horizon_days=90.
`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        param: { type: 'string', multiple: true, default: [] },
        format: { type: 'string', default: 'table' },
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

    const settings = readSettings();
    const engine = await DuckDbSqlEngine.open({ lakeRoot: localHome(settings.CS_PULSE_HOME).lake });
    try {
      const rows = await runQuery(engine, query, { ...defaultValues(new Date()), ...given });
      console.log(formatRows(rows, format));
      return 0;
    } finally {
      await engine.close();
    }
  },
};

export async function runQuery(
  engine: DuckDbSqlEngine,
  query: RegisteredQuery,
  values: Record<string, string>,
) {
  for (const view of VIEWS) await engine.query(renderSql(view, engine.database));
  return engine.query(renderSql(query, engine.database), positionalValues(query, values));
}
