import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { AthenaQueryError, AthenaSqlEngine } from '../../lambdas/adapters/athena-sql-engine.js';

// No Athena emulator exists, so the client is mocked at the SDK boundary as a state machine of query states.
const athena = mockClient(AthenaClient);

function engine(deadlineMs = 60_000) {
  const waits: number[] = [];
  return {
    waits,
    engine: new AthenaSqlEngine({
      client: new AthenaClient({ region: 'eu-west-1' }),
      workGroup: 'cs-pulse',
      database: 'cs_pulse',
      deadlineMs,
      sleep: async (ms) => void waits.push(ms),
    }),
  };
}

const states = (...sequence: string[]) => {
  let call = 0;
  athena.on(GetQueryExecutionCommand).callsFake(() => {
    const state = sequence[Math.min(call++, sequence.length - 1)];
    return {
      QueryExecution: {
        QueryExecutionId: 'q-1',
        Status: {
          State: state,
          ...(state === 'FAILED'
            ? {
                StateChangeReason: 'TABLE_NOT_FOUND',
                AthenaError: { ErrorMessage: "line 1:15: Table 'cs_pulse.nope' does not exist" },
              }
            : {}),
        },
      },
    };
  });
};

describe('the Athena SQL engine', () => {
  beforeEach(() => {
    athena.reset();
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
  });

  it('sends values as quoted execution parameters in the workgroup and database', async () => {
    states('SUCCEEDED');
    athena
      .on(GetQueryResultsCommand)
      .resolves({ ResultSet: { Rows: [], ResultSetMetadata: { ColumnInfo: [] } } });
    await engine().engine.query('SELECT * FROM t WHERE dt BETWEEN ? AND ? AND n > ?', [
      '2025-01-01',
      "o'clock",
      3,
    ]);
    const input = athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      WorkGroup: 'cs-pulse',
      QueryExecutionContext: { Catalog: 'AwsDataCatalog', Database: 'cs_pulse' },
      ExecutionParameters: ["'2025-01-01'", "'o''clock'", '3'],
    });
  });

  it('polls queued → running → succeeded with growing waits, and reads every page with typed values', async () => {
    states('QUEUED', 'RUNNING', 'RUNNING', 'RUNNING', 'SUCCEEDED');
    const ColumnInfo = [
      { Name: 'period_start', Type: 'date' },
      { Name: 'segment_key', Type: 'varchar' },
      { Name: 'n', Type: 'bigint' },
      { Name: 'value', Type: 'double' },
      { Name: 'at', Type: 'timestamp' },
    ];
    athena
      .on(GetQueryResultsCommand, { NextToken: undefined })
      .resolves({
        NextToken: 'page-2',
        ResultSet: {
          ResultSetMetadata: { ColumnInfo },
          Rows: [
            { Data: ColumnInfo.map((c) => ({ VarCharValue: c.Name })) },
            {
              Data: [
                { VarCharValue: '2025-01-01' },
                {},
                { VarCharValue: '6' },
                { VarCharValue: '16.666666666666668' },
                { VarCharValue: '2025-01-01 10:00:00.000000' },
              ],
            },
          ],
        },
      })
      .on(GetQueryResultsCommand, { NextToken: 'page-2' })
      .resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo },
          Rows: [
            {
              Data: [
                { VarCharValue: '2025-02-01' },
                { VarCharValue: 'plan' },
                { VarCharValue: '1' },
                { VarCharValue: '100.0' },
                {},
              ],
            },
          ],
        },
      });
    const { engine: athenaEngine, waits } = engine();
    const rows = await athenaEngine.query('SELECT …');
    expect(rows).toEqual([
      {
        period_start: '2025-01-01',
        segment_key: null,
        n: 6,
        value: 16.666666666666668,
        at: '2025-01-01 10:00:00.000',
      },
      { period_start: '2025-02-01', segment_key: 'plan', n: 1, value: 100, at: null },
    ]);
    expect(waits).toEqual([200, 400, 800, 1600]);
  });

  it("surfaces a failed query with Athena's reason", async () => {
    states('RUNNING', 'FAILED');
    const error = await engine()
      .engine.query('SELECT * FROM nope')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AthenaQueryError);
    expect((error as AthenaQueryError).message).toContain("Table 'cs_pulse.nope' does not exist");
    expect((error as AthenaQueryError).state).toBe('FAILED');
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it('surfaces a cancelled query', async () => {
    states('CANCELLED');
    await expect(engine().engine.query('SELECT 1')).rejects.toThrow(/CANCELLED/);
  });

  it('stops a query that runs past its deadline', async () => {
    states('RUNNING');
    athena.on(StopQueryExecutionCommand).resolves({});
    await expect(engine(1).engine.query('SELECT 1')).rejects.toThrow(/did not finish/);
    expect(athena.commandCalls(StopQueryExecutionCommand)[0]!.args[0].input).toEqual({
      QueryExecutionId: 'q-1',
    });
  });

  describe('snapshots of views', () => {
    const sent = () =>
      athena.commandCalls(StartQueryExecutionCommand).map((call) => call.args[0].input.QueryString ?? '');
    const materializing = () =>
      new AthenaSqlEngine({
        client: new AthenaClient({ region: 'eu-west-1' }),
        workGroup: 'cs-pulse',
        database: 'cs_pulse',
        sleep: async () => {},
        materializedViews: ['a', 'b'],
        now: () => Date.parse('2026-05-01T12:00:00Z'),
      });

    beforeEach(() => {
      states('SUCCEEDED');
      athena
        .on(GetQueryResultsCommand)
        .resolves({ ResultSet: { Rows: [], ResultSetMetadata: { ColumnInfo: [] } } });
    });

    it('rewrites only whole references to a snapshotted view of its own database', async () => {
      const subject = materializing();
      await subject.query('-- a\nCREATE OR REPLACE VIEW cs_pulse.a AS SELECT x FROM cs_pulse.t');
      await subject.query(
        'CREATE OR REPLACE VIEW cs_pulse.b AS SELECT x FROM cs_pulse.a JOIN cs_pulse.a_wide USING (x)',
      );
      await subject.query('CREATE OR REPLACE VIEW cs_pulse.c AS SELECT x FROM cs_pulse.b');
      await subject.snapshotViews(['a', 'b', 'c']);
      await subject.query('SELECT * FROM cs_pulse.a, cs_pulse.a_wide, other.a, cs_pulse.b b2, cs_pulse.c');

      const [, , , , createA, createB, select] = sent();
      const tableA =
        /^CREATE TABLE cs_pulse\.(cs_pulse_snapshot_\w+_a) WITH \(format = 'PARQUET'\) AS\nSELECT x FROM cs_pulse\.t$/.exec(
          createA!,
        )?.[1];
      expect(tableA).toBeDefined();
      expect(createB).toMatch(
        new RegExp(`AS\\nSELECT x FROM cs_pulse\\.${tableA} JOIN cs_pulse\\.a_wide USING \\(x\\)$`),
      );
      const tableB = /^CREATE TABLE cs_pulse\.(\w+_b) /.exec(createB!)?.[1];
      // c is not materialized: it is read as the view it is.
      expect(select).toBe(
        `SELECT * FROM cs_pulse.${tableA}, cs_pulse.a_wide, other.a, cs_pulse.${tableB} b2, cs_pulse.c`,
      );

      await subject.releaseSnapshots();
      await subject.query('SELECT * FROM cs_pulse.a');
      expect(sent().slice(-3)).toEqual([
        `DROP TABLE IF EXISTS cs_pulse.${tableA}`,
        `DROP TABLE IF EXISTS cs_pulse.${tableB}`,
        'SELECT * FROM cs_pulse.a',
      ]);
    });

    it('goes on when stale snapshots cannot be listed', async () => {
      const subject = materializing();
      await subject.query('CREATE OR REPLACE VIEW cs_pulse.a AS SELECT 1 AS x');
      athena
        .on(StartQueryExecutionCommand, { QueryString: "SHOW TABLES IN cs_pulse 'cs_pulse_snapshot_*'" })
        .rejects(new Error('AccessDeniedException: glue:GetTables'));
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      try {
        await subject.snapshotViews(['a']);
        expect(warn).toHaveBeenCalledWith(expect.stringContaining('could not list stale snapshot tables'));
      } finally {
        warn.mockRestore();
      }
      expect(sent().at(-1)).toMatch(/^CREATE TABLE cs_pulse\.cs_pulse_snapshot_\w+_a /);
    });
  });
});
