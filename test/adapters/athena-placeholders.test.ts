import { TrinoSQL } from 'dt-sql-parser';
import { describe, expect, it } from 'vitest';
import {
  athenaStatement,
  placeholdersInWhere,
  toAthenaLiteral,
} from '../../lambdas/adapters/athena-placeholders.js';
import type { SqlValue } from '../../lambdas/ports/sql-engine.js';
import { ALL_QUERIES, type ParameterType, renderSql } from '../../queries/registry.js';

const SAMPLE_VALUES: Record<ParameterType, SqlValue> = {
  varchar: "it's",
  date: '2026-01-01',
  timestamp: '2026-02-01 00:00:00.000',
  integer: 30,
  double: 1.5,
};

describe('where Athena may take an execution parameter', () => {
  it('finds placeholders in WHERE, in parentheses and subqueries there, and not in SELECT lists or CTEs', () => {
    expect(placeholdersInWhere('SELECT * FROM t WHERE dt BETWEEN ? AND ? AND (n > ? OR m = ?)')).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(
      placeholdersInWhere(
        'WITH params AS (SELECT CAST(? AS DATE) AS d, ? AS n)\nSELECT x FROM t, params WHERE t.dt >= ?',
      ),
    ).toEqual([false, false, true]);
    expect(
      placeholdersInWhere(
        'SELECT a FROM t WHERE a IN (SELECT b FROM u WHERE c = ?) GROUP BY a HAVING count(*) > ?',
      ),
    ).toEqual([true, false]);
    expect(placeholdersInWhere('SELECT ? FROM t JOIN u ON u.k = ? ORDER BY 1 LIMIT ?')).toEqual([
      false,
      false,
      false,
    ]);
  });

  it('ignores question marks in strings, quoted identifiers and comments', () => {
    expect(
      placeholdersInWhere(
        "-- why? because\nSELECT 'a?b', \"c?\" /* d? */ FROM t WHERE s = 'it''s ?' AND x = ?",
      ),
    ).toEqual([true]);
  });

  it('keeps WHERE placeholders as ExecutionParameters and writes the others in as the same literals', () => {
    const statement = athenaStatement(
      'WITH params AS (SELECT CAST(? AS VARCHAR) AS grain, CAST(? AS INTEGER) AS n)\nSELECT * FROM t WHERE dt = ? AND s = ?',
      ["o'clock", 30, '2026-01-01', null],
    );
    expect(statement).toEqual({
      queryString:
        "WITH params AS (SELECT CAST('o''clock' AS VARCHAR) AS grain, CAST(30 AS INTEGER) AS n)\nSELECT * FROM t WHERE dt = ? AND s = ?",
      executionParameters: ["'2026-01-01'", 'NULL'],
    });
  });

  it('refuses a parameter count that does not match the placeholders', () => {
    expect(() => athenaStatement('SELECT 1 FROM t WHERE a = ?', [])).toThrow(/1 placeholders but 0/);
  });

  it('writes literals the way Trino reads them', () => {
    expect([null, true, false, 1.5, -2, 'x', "a'b"].map(toAthenaLiteral)).toEqual([
      'NULL',
      'TRUE',
      'FALSE',
      '1.5',
      '-2',
      "'x'",
      "'a''b'",
    ]);
    expect(() => toAthenaLiteral(Number.NaN)).toThrow();
    expect(() => toAthenaLiteral(Number.POSITIVE_INFINITY)).toThrow();
  });

  const trino = new TrinoSQL();
  it.each(
    ALL_QUERIES.filter((query) => query.parameters.length > 0).map((query) => [query.id, query] as const),
  )('%s leaves only WHERE placeholders for Athena and still parses as Trino SQL', (_, query) => {
    const values = query.parameters.map((parameter) => SAMPLE_VALUES[parameter.type]);
    const { queryString, executionParameters } = athenaStatement(renderSql(query, 'cs_pulse'), values);
    const left = placeholdersInWhere(queryString);
    expect(left.every(Boolean)).toBe(true);
    expect(left).toHaveLength(executionParameters.length);
    expect(trino.validate(queryString).map((error) => error.message)).toEqual([]);
  });
});
