import { readdirSync } from 'node:fs';
import path from 'node:path';
import { TrinoSQL } from 'dt-sql-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbSqlEngine } from '../../lambdas/adapters/duckdb-sql-engine.js';
import {
  ALL_QUERIES,
  COMPARISON_COLUMNS,
  KPI_QUERIES,
  type KpiQuery,
  metricRows,
  pointColumn,
  positionalValues,
  queriesDirectory,
  renderSql,
  VIEWS,
} from '../../queries/registry.js';
import { withTempHome } from '../support/temp-home.js';
import { parameterCount, portabilityProblems } from './sql-lint.js';

const trino = new TrinoSQL();

function sqlFiles(folder: string, prefix = ''): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sqlFiles(path.join(folder, entry.name), `${prefix}${entry.name}/`)
      : entry.name.endsWith('.sql')
        ? [`${prefix}${entry.name}`]
        : [],
  );
}

describe('the queries/ registry', () => {
  it('registers every .sql file, and every registered file exists', () => {
    const registered = [...new Set(ALL_QUERIES.map((query) => query.file))].sort();
    expect(registered).toEqual(sqlFiles(queriesDirectory()).sort());
    // Only a KPI that names its value column may share its file with another metric.
    const shared = ALL_QUERIES.filter((query) =>
      ALL_QUERIES.some((other) => other !== query && other.file === query.file),
    );
    for (const query of shared) expect((query as KpiQuery).columns, query.id).toBeDefined();
    expect(new Set(ALL_QUERIES.map((query) => query.id)).size).toBe(ALL_QUERIES.length);
  });

  it.each(ALL_QUERIES.map((query) => [query.id, query] as const))('%s parses as Trino SQL', (_, query) => {
    const errors = trino.validate(renderSql(query, 'cs_pulse'));
    expect(errors.map((error) => `${error.startLine}:${error.startColumn} ${error.message}`)).toEqual([]);
  });

  it.each(ALL_QUERIES.map((query) => [query.id, query] as const))(
    '%s declares each of its ? parameters',
    (_, query) => {
      expect(parameterCount(renderSql(query, 'cs_pulse'))).toBe(query.parameters.length);
    },
  );

  it.each(ALL_QUERIES.map((query) => [query.id, query] as const))(
    '%s avoids the Trino/DuckDB traps',
    (_, query) => {
      expect(portabilityProblems(renderSql(query, 'cs_pulse'))).toEqual([]);
    },
  );

  it('only lets the database name be templated, as a plain identifier', () => {
    expect(() => renderSql(KPI_QUERIES[0]!, 'lake; DROP TABLE x')).toThrow(/identifier/);
  });
});

describe('a KPI query shared by several metrics', () => {
  const nps = KPI_QUERIES.find((query) => query.id === 'nps')!;
  const csat = KPI_QUERIES.find((query) => query.id === 'csat')!;
  // One row of surveys.sql for a period with CSAT responses and no NPS response.
  const row = {
    period_start: '2026-03-01',
    segment_key: 'plan',
    segment_value: 'pro',
    nps_n: 0,
    nps_value: null,
    nps_low_sample: true,
    promoters: 0,
    csat_n: 12,
    csat_value: 75,
    csat_ci_low: 46.8,
    csat_ci_high: 91.1,
    csat_change: -5,
    csat_change_significant: false,
    csat_low_sample: true,
    satisfied: 9,
    mean_score: 4.1,
  };

  it('gives each metric only the rows that hold its value, under the standard column names', () => {
    expect(metricRows(nps, [row])).toEqual([]);
    expect(metricRows(csat, [row])).toEqual([
      {
        period_start: '2026-03-01',
        segment_key: 'plan',
        segment_value: 'pro',
        n: 12,
        value: 75,
        ci_low: 46.8,
        ci_high: 91.1,
        change: -5,
        change_significant: false,
        low_sample: true,
        satisfied: 9,
        mean_score: 4.1,
      },
    ]);
  });
});

describe('the SQL lint catches what changes numbers silently', () => {
  it('flags decimal literals, which Trino keeps as DECIMAL', () => {
    expect(portabilityProblems('SELECT 100.0 * a / n FROM t')).toHaveLength(1);
    expect(portabilityProblems('SELECT 1.96e0 * a FROM t -- 100.0 in a comment is fine')).toEqual([]);
  });

  it('flags date_diff on untruncated values, and accepts the portable idiom', () => {
    expect(portabilityProblems("SELECT date_diff('month', a, b) FROM t")).toHaveLength(1);
    expect(
      portabilityProblems("SELECT date_diff('month', date_trunc('month', a), date_trunc('month', b)) FROM t"),
    ).toEqual([]);
  });

  it('flags engine-only syntax', () => {
    expect(portabilityProblems("SELECT x::DATE, date_add('day', 1, x), INTERVAL 7 DAY FROM t")).toHaveLength(
      3,
    );
  });
});

describe('every query runs on DuckDB with Trino semantics', () => {
  let engine: DuckDbSqlEngine;
  let home: Awaited<ReturnType<typeof withTempHome>>;

  beforeAll(async () => {
    home = await withTempHome();
    engine = await DuckDbSqlEngine.open({ lakeRoot: path.join(home.root, 'lake') });
    for (const view of VIEWS) await engine.query(renderSql(view, engine.database));
  });
  afterAll(async () => {
    await engine.close();
    await home.cleanup();
  });

  it('divides integers as Trino does', async () => {
    expect(await engine.query('SELECT 7 / 2 AS quotient, CAST(7 AS DOUBLE) / 2 AS ratio')).toEqual([
      { quotient: 3, ratio: 3.5 },
    ]);
  });

  it('has the Trino functions the queries use', async () => {
    const rows = await engine.query(
      "SELECT count(*) AS n FROM UNNEST(sequence(DATE '2025-01-01', DATE '2025-12-01', INTERVAL '1' MONTH)) AS t(d)",
    );
    expect(rows).toEqual([{ n: 12 }]);
  });

  it('has normal_cdf, accurate in the tails too', async () => {
    const [row] = await engine.query(
      'SELECT normal_cdf(0e0, 1e0, 1.96e0) AS a, normal_cdf(10e0, 2e0, 6.08e0) AS b, normal_cdf(0e0, 1e0, -10e0) AS c',
    );
    // Φ(1.96) = 0.9750021048517795; Φ(−1.96) = 0.024997895148220435; Φ(−10) = 7.619853024160527e-24.
    expect(row!.a).toBeCloseTo(0.9750021048517795, 8);
    expect(row!.b).toBeCloseTo(0.024997895148220435, 8);
    expect(Number(row!.c) / 7.619853024160527e-24).toBeCloseTo(1, 6);
  });

  const values = {
    grain: 'month',
    period_from: '2025-01-01',
    as_of: '2025-06-01 00:00:00',
    first_dt: '2025-01-01',
    last_dt: '2025-05-31',
    low_sample_min: 30,
    horizon_days: 90,
    dt: '2025-01-01',
  };
  it.each(ALL_QUERIES.filter((query) => query.kind !== 'view').map((query) => [query.id, query] as const))(
    '%s runs on an empty lake',
    async (_, query) => {
      const rows = await engine.query(renderSql(query, engine.database), positionalValues(query, values));
      expect(rows).toEqual([]);
    },
  );

  it.each(KPI_QUERIES.map((query) => [query.id, query] as const))(
    '%s returns the KPI columns',
    async (_, query) => {
      const sql = `SELECT * FROM (${renderSql(query, engine.database)}) LIMIT 0`;
      const described = await engine.query(`DESCRIBE ${sql}`, positionalValues(query, values));
      const columns = described.map((row) => row.column_name);
      if (query.columns) {
        // One query serving several metrics: its rows carry this metric's fields and components by name.
        const fields = [
          'value',
          'n',
          ...(query.compares ? (['ci_low', 'ci_high', ...COMPARISON_COLUMNS] as const) : []),
        ] as const;
        expect(columns.slice(0, 3)).toEqual(['period_start', 'segment_key', 'segment_value']);
        expect(columns).toEqual(
          expect.arrayContaining([...fields.map((field) => pointColumn(query, field)), ...query.components]),
        );
        return;
      }
      expect(columns).toEqual([
        'period_start',
        'segment_key',
        'segment_value',
        'n',
        'value',
        'ci_low',
        'ci_high',
        ...(query.compares ? COMPARISON_COLUMNS : []),
        ...query.components,
      ]);
    },
  );

  it.each(
    KPI_QUERIES.filter((query) => query.rolling).flatMap((query) =>
      ['rolling_30d', 'rolling_90d'].map((grain) => [query.id, grain, query] as const),
    ),
  )('%s runs at grain %s', async (_, grain, query) => {
    const rows = await engine.query(
      renderSql(query, engine.database),
      positionalValues(query, { ...values, grain }),
    );
    expect(rows).toEqual([]);
  });
});
