import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { placeholdersInWhere } from '../../lambdas/adapters/athena-placeholders.js';
import { cli } from '../support/cli.js';

// No Athena emulator exists: the client is mocked at the SDK boundary, for every client the command makes.
const athena = mockClient(AthenaClient);
const AWS_ENV = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };

describe('npm run query -- <name> --engine athena', () => {
  beforeEach(() => {
    athena.reset();
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-cli' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { QueryExecutionId: 'q-cli', Status: { State: 'SUCCEEDED' } },
    });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: {
          ColumnInfo: [
            { Name: 'period_start', Type: 'date' },
            { Name: 'nps_n', Type: 'bigint' },
            { Name: 'nps_value', Type: 'double' },
            { Name: 'nps_low_sample', Type: 'boolean' },
          ],
        },
        Rows: [
          {
            Data: [
              { VarCharValue: 'period_start' },
              { VarCharValue: 'nps_n' },
              { VarCharValue: 'nps_value' },
              { VarCharValue: 'nps_low_sample' },
            ],
          },
          {
            Data: [
              { VarCharValue: '2026-01-01' },
              { VarCharValue: '42' },
              { VarCharValue: '31.5' },
              { VarCharValue: 'false' },
            ],
          },
        ],
      },
    });
  });

  it('runs the named query’s SQL in the workgroup, on the stage’s database, and prints typed rows', async () => {
    const result = await cli(
      [
        'query',
        'nps',
        '--engine',
        'athena',
        '--workgroup',
        'cs-pulse-prod-eu',
        '--param',
        'grain=quarter',
        '--format',
        'json',
      ],
      AWS_ENV,
    );

    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    // nps shares surveys.sql with ces and csat: its own columns are shown under the standard names.
    expect(JSON.parse(result.out)).toEqual([
      {
        period_start: '2026-01-01',
        segment_key: null,
        segment_value: null,
        n: 42,
        value: 31.5,
        ci_low: null,
        ci_high: null,
        change: null,
        change_significant: null,
        low_sample: false,
        promoters: null,
        passives: null,
        detractors: null,
      },
    ]);
    const calls = athena.commandCalls(StartQueryExecutionCommand);
    // Only the query itself: on Athena the views are the aggregation's, never redefined from a laptop.
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input).toMatchObject({
      WorkGroup: 'cs-pulse-prod-eu',
      QueryExecutionContext: { Database: 'cs_pulse_prod_eu' },
    });
    // Athena takes execution parameters in WHERE clauses only: the dt bounds travel as ExecutionParameters, while the
    // params CTE's grain, period_from, as_of and low_sample_min (a number, unquoted) are written in as literals.
    expect(input.ExecutionParameters).toEqual([
      "'2000-01-01'",
      expect.stringMatching(/^'\d{4}-\d{2}-\d{2}'$/),
    ]);
    expect(input.QueryString).toMatch(
      /SELECT CAST\('quarter' AS VARCHAR\) AS grain, CAST\('2000-01-01' AS DATE\) AS period_from, CAST\('\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}' AS TIMESTAMP\) AS as_of,\s+CAST\(30 AS INTEGER\) AS low_sample_min/,
    );
    expect(input.QueryString).toContain('FROM cs_pulse_prod_eu.');
  });

  it('takes the database from --database when the workgroup is not a cs-pulse stage’s', async () => {
    const result = await cli(
      [
        'query',
        'churn_drivers',
        '--engine',
        'athena',
        '--workgroup',
        'analysts',
        '--database',
        'lake_copy',
        '--format',
        'csv',
      ],
      AWS_ENV,
    );
    expect(result.code).toBe(0);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input).toMatchObject({
      WorkGroup: 'analysts',
      QueryExecutionContext: { Database: 'lake_copy' },
    });
    const { QueryString, ExecutionParameters } =
      athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input;
    expect(ExecutionParameters).toBeUndefined();
    expect(QueryString).toMatch(
      /SELECT CAST\('[^']+' AS TIMESTAMP\) AS as_of, CAST\(90 AS INTEGER\) AS horizon_days/,
    );
    expect(placeholdersInWhere(QueryString!)).toEqual([]);
    expect(QueryString).toContain('FROM lake_copy.');
  });

  it('refuses a missing workgroup, a database it cannot guess, a bad name and an unknown engine, sending nothing', async () => {
    for (const args of [
      ['--engine', 'athena'],
      ['--engine', 'athena', '--workgroup', 'analysts'],
      ['--engine', 'athena', '--workgroup', 'analysts', '--database', 'x; DROP'],
      ['--engine', 'presto'],
      ['--workgroup', 'cs-pulse-dev'],
    ]) {
      const result = await cli(['query', 'nps', ...args], AWS_ENV);
      expect(result.code, args.join(' ')).toBe(2);
    }
    expect(athena.commandCalls(StartQueryExecutionCommand)).toEqual([]);
  });

  it('reports Athena’s own reason when the query fails', async () => {
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        QueryExecutionId: 'q-cli',
        Status: {
          State: 'FAILED',
          AthenaError: {
            ErrorMessage:
              "TABLE_NOT_FOUND: line 3:8: Table 'cs_pulse_dev.unique_survey_responses' does not exist",
          },
        },
      },
    });
    const result = await cli(['query', 'nps', '--engine', 'athena', '--workgroup', 'cs-pulse-dev'], AWS_ENV);
    expect(result.code).toBe(1);
    expect(result.err).toContain('TABLE_NOT_FOUND');
  });
});
