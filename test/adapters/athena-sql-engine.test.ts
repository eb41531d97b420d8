import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type QueryExecutionStatus,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AthenaQueryError, AthenaSqlEngine } from '../../lambdas/adapters/athena-sql-engine.js';
import { compactedTableName } from '../../lambdas/lake/layout.js';
import { COMPACTION_QUERIES, positionalValues, renderSql, VIEWS } from '../../queries/registry.js';

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

const sent = () =>
  athena.commandCalls(StartQueryExecutionCommand).map((call) => call.args[0].input.QueryString ?? '');

const noRows = { ResultSet: { Rows: [], ResultSetMetadata: { ColumnInfo: [] } } };

const running: QueryExecutionStatus = { State: 'RUNNING' };
const succeeded: QueryExecutionStatus = { State: 'SUCCEEDED' };
const failed = (ErrorMessage: string, Retryable = false): QueryExecutionStatus => ({
  State: 'FAILED',
  StateChangeReason: ErrorMessage,
  AthenaError: { ErrorMessage, Retryable },
});

/**
 * Each StartQueryExecution gets the next id, q-1, q-2, …, and the next script of states its polls walk through (the
 * last one repeats). A submission beyond the scripts is refused, so a test fails on a resubmission it did not expect.
 */
function submissions(...scripts: QueryExecutionStatus[][]) {
  let started = 0;
  athena.on(StartQueryExecutionCommand).callsFake(() => {
    if (started === scripts.length) throw new Error(`unexpected submission ${started + 1}`);
    return { QueryExecutionId: `q-${++started}` };
  });
  const polls = new Map<string, number>();
  athena.on(GetQueryExecutionCommand).callsFake(({ QueryExecutionId: id }: { QueryExecutionId: string }) => {
    const script = scripts[Number(id.slice(2)) - 1]!;
    const poll = polls.get(id) ?? 0;
    polls.set(id, poll + 1);
    return { QueryExecution: { QueryExecutionId: id, Status: script[Math.min(poll, script.length - 1)] } };
  });
}

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

  it("surfaces a failed query with Athena's reason, submitted once when the failure is not passing", async () => {
    states('RUNNING', 'FAILED');
    const error = await engine()
      .engine.query('SELECT * FROM nope')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AthenaQueryError);
    expect((error as AthenaQueryError).message).toContain("Table 'cs_pulse.nope' does not exist");
    expect((error as AthenaQueryError).message).toContain('1 attempt');
    expect(error).toMatchObject({ state: 'FAILED', attempts: 1 });
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(1);
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

  it('reports the deadline, not the failure to stop the query, and logs that failure', async () => {
    states('RUNNING');
    athena
      .on(StopQueryExecutionCommand)
      .rejects(new Error('InvalidRequestException: query already finished'));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const error = await engine(1)
        .engine.query('SELECT 1')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AthenaQueryError);
      expect((error as Error).message).toMatch(
        /q-1 did not finish within 1 ms \(1 attempt\) and was stopped/,
      );
      expect(JSON.parse(String(warn.mock.calls[0]?.[0]))).toEqual({
        message: 'could not stop an Athena query past its deadline',
        queryExecutionId: 'q-1',
        error: 'Error: InvalidRequestException: query already finished',
      });
    } finally {
      warn.mockRestore();
    }
  });

  describe('view definitions', () => {
    beforeEach(() => {
      states('SUCCEEDED');
      athena.on(GetQueryResultsCommand).resolves(noRows);
    });

    it('sends each view of queries/views without its leading comment block', async () => {
      const subject = engine().engine;
      for (const view of VIEWS) await subject.query(renderSql(view, 'cs_pulse'));
      const statements = sent();
      expect(statements).toHaveLength(VIEWS.length);
      VIEWS.forEach((view, index) => {
        const file = renderSql(view, 'cs_pulse');
        expect(file).toMatch(/^--/);
        const ddl = file.slice(file.indexOf('CREATE OR REPLACE VIEW'));
        expect(statements[index]).toBe(ddl);
        expect(statements[index]).toMatch(new RegExp(`^CREATE OR REPLACE VIEW cs_pulse\\.${view.id} AS\\s`));
      });
    });

    it('keeps comments and `--` inside the view body, and the comments of other statements', async () => {
      const subject = engine().engine;
      await subject.query(
        "-- why this view\n\n  -- and more\nCREATE OR REPLACE VIEW cs_pulse.v AS\nSELECT '-- not a comment' AS a, -- a comment\n'x--y' AS b",
      );
      await subject.query("-- nps: monthly\nSELECT '--' AS dashes");
      expect(sent()).toEqual([
        "CREATE OR REPLACE VIEW cs_pulse.v AS\nSELECT '-- not a comment' AS a, -- a comment\n'x--y' AS b",
        "-- nps: monthly\nSELECT '--' AS dashes",
      ]);
    });
  });

  describe('appending to a compacted copy', () => {
    const [accounts] = COMPACTION_QUERIES;
    const append = (subject: AthenaSqlEngine) =>
      subject.appendCompacted(
        accounts!.table,
        renderSql(accounts!, 'cs_pulse'),
        positionalValues(accounts!, { dt: '2025-01-01' }),
      );

    it('returns the rows Athena reports the INSERT wrote, as UpdateCount', async () => {
      states('SUCCEEDED');
      athena.on(GetQueryResultsCommand).resolves({ UpdateCount: 42, ...noRows });
      expect(await append(engine().engine)).toBe(42);
      expect(sent()[0]).toMatch(/^INSERT INTO cs_pulse\.accounts_compacted\n-- Compaction/);
    });

    it('falls back on a `rows` column when Athena gives no UpdateCount', async () => {
      states('SUCCEEDED');
      athena.on(GetQueryResultsCommand).resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: [{ Name: 'rows', Type: 'bigint' }] },
          Rows: [{ Data: [{ VarCharValue: 'rows' }] }, { Data: [{ VarCharValue: '7' }] }],
        },
      });
      expect(await append(engine().engine)).toBe(7);
    });

    it('is undefined when Athena tells neither', async () => {
      states('SUCCEEDED');
      athena.on(GetQueryResultsCommand).resolves(noRows);
      expect(await append(engine().engine)).toBeUndefined();
    });

    // The resubmission of a compaction INSERT is safe only because of this: what a failed attempt appended is
    // excluded from the next.
    it('runs compaction SQL that appends only the rows the copy does not hold yet', () => {
      for (const query of COMPACTION_QUERIES) {
        expect(renderSql(query, 'cs_pulse')).toMatch(
          new RegExp(
            `\\nEXCEPT\\nSELECT [^;]*\\nFROM cs_pulse\\.${compactedTableName(query.table)}\\nWHERE dt = \\?\\s*$`,
          ),
        );
      }
    });
  });

  describe('resubmitting a failed statement', () => {
    let warn: ReturnType<typeof vi.spyOn>;
    beforeEach(() => {
      warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      athena.on(GetQueryResultsCommand).resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: [{ Name: 'n', Type: 'bigint' }] },
          Rows: [{ Data: [{ VarCharValue: 'n' }] }, { Data: [{ VarCharValue: '1' }] }],
        },
      });
    });
    afterEach(() => warn.mockRestore());

    it('submits a query again when Athena calls its failure retryable, after a short wait', async () => {
      submissions([running, failed('INTERNAL_ERROR_QUERY_ENGINE', true)], [running, succeeded]);
      const { engine: subject, waits } = engine();
      expect(await subject.query('-- nps: monthly\nSELECT 1 AS n WHERE 1 = ?', [1])).toEqual([{ n: 1 }]);
      const calls = athena.commandCalls(StartQueryExecutionCommand).map((call) => call.args[0].input);
      expect(calls).toHaveLength(2);
      // The same statement, parameters and all.
      expect(calls[1]).toEqual(calls[0]);
      expect(athena.commandCalls(GetQueryResultsCommand)[0]!.args[0].input.QueryExecutionId).toBe('q-2');
      expect(waits).toEqual([200, 1000, 200]);
      expect(JSON.parse(String(warn.mock.calls[0]?.[0]))).toMatchObject({
        message: 'resubmitting a failed Athena query',
        queryExecutionId: 'q-1',
        attempt: 1,
        reason: 'INTERNAL_ERROR_QUERY_ENGINE',
      });
    });

    it.each([
      'HIVE_CANNOT_OPEN_SPLIT: Error opening Hive split s3://lake/tables/accounts/dt=2025-01-01/k1.jsonl (offset=0, length=120)',
      'com.amazonaws.services.s3.model.AmazonS3Exception: NoSuchKey (Status Code: 404)',
      'The specified key does not exist. (Service: Amazon S3; Status Code: 404)',
      'HIVE_FILE_NOT_FOUND: s3://lake/tables/accounts/dt=2025-01-01/k1.jsonl',
    ])('submits a query again when a file vanished under it: %s', async (message) => {
      submissions([failed(message)], [succeeded]);
      expect(await engine().engine.query('WITH x AS (SELECT 1 AS n) SELECT n FROM x')).toEqual([{ n: 1 }]);
      expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(2);
    });

    it('matches the vanished-file messages case-sensitively', async () => {
      submissions([failed('hive_file_not_found: nosuchkey')]);
      await expect(engine().engine.query('SELECT 1')).rejects.toThrow(/1 attempt/);
    });

    it('gives up after three attempts, with the last reason and how many attempts were made', async () => {
      const vanished = (n: number) => failed(`HIVE_CANNOT_OPEN_SPLIT: attempt ${n}`);
      submissions([vanished(1)], [vanished(2)], [vanished(3)]);
      const { engine: subject, waits } = engine();
      const error = await subject.query('SELECT 1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AthenaQueryError);
      expect((error as Error).message).toBe(
        'Athena query q-3 FAILED (3 attempts): HIVE_CANNOT_OPEN_SPLIT: attempt 3',
      );
      expect(error).toMatchObject({ queryExecutionId: 'q-3', state: 'FAILED', attempts: 3 });
      expect(waits).toEqual([1000, 2000]);
    });

    it('does not resubmit a cancelled query', async () => {
      submissions([{ State: 'CANCELLED', AthenaError: { Retryable: true } }]);
      await expect(engine().engine.query('SELECT 1')).rejects.toThrow(/CANCELLED \(1 attempt\)/);
    });

    it('does not resubmit when the wait would pass the deadline', async () => {
      submissions([failed('HIVE_FILE_NOT_FOUND: gone')]);
      await expect(engine(500).engine.query('SELECT 1')).rejects.toThrow(/FAILED \(1 attempt\)/);
    });

    it('does not resubmit an INSERT or CREATE TABLE AS sent through query: it may not be safe to repeat', async () => {
      submissions([failed('HIVE_CANNOT_OPEN_SPLIT', true)], [failed('HIVE_CANNOT_OPEN_SPLIT', true)]);
      const subject = engine().engine;
      await expect(subject.query('INSERT INTO cs_pulse.t SELECT 1')).rejects.toThrow(/1 attempt/);
      await expect(subject.query('CREATE TABLE cs_pulse.t AS SELECT 1')).rejects.toThrow(/1 attempt/);
      expect(sent()).toHaveLength(2);
    });

    it('resubmits the views, the drops and the listing', async () => {
      const passing = failed('HIVE_FILE_NOT_FOUND');
      submissions([passing], [succeeded], [passing], [succeeded], [passing], [succeeded]);
      const subject = engine().engine;
      await subject.query('-- v\nCREATE OR REPLACE VIEW cs_pulse.v AS SELECT 1 AS n');
      await subject.query('DROP TABLE IF EXISTS cs_pulse.t');
      await subject.query("SHOW TABLES IN cs_pulse 'x*'");
      expect(sent()).toEqual([
        'CREATE OR REPLACE VIEW cs_pulse.v AS SELECT 1 AS n',
        'CREATE OR REPLACE VIEW cs_pulse.v AS SELECT 1 AS n',
        'DROP TABLE IF EXISTS cs_pulse.t',
        'DROP TABLE IF EXISTS cs_pulse.t',
        "SHOW TABLES IN cs_pulse 'x*'",
        "SHOW TABLES IN cs_pulse 'x*'",
      ]);
    });

    it('resubmits a compaction INSERT, and counts what the attempt that succeeded wrote', async () => {
      submissions(
        [failed('HIVE_CANNOT_OPEN_SPLIT: s3://lake/tables/accounts/dt=2025-01-01/k1.jsonl')],
        [succeeded],
      );
      athena.on(GetQueryResultsCommand, { QueryExecutionId: 'q-2' }).resolves({ UpdateCount: 5, ...noRows });
      const [accounts] = COMPACTION_QUERIES;
      const written = await engine().engine.appendCompacted(
        accounts!.table,
        renderSql(accounts!, 'cs_pulse'),
        positionalValues(accounts!, { dt: '2025-01-01' }),
      );
      expect(written).toBe(5);
      const [first, second] = sent();
      expect(first).toMatch(/^INSERT INTO cs_pulse\.accounts_compacted\n/);
      expect(second).toBe(first);
    });

    it('drops what a failed snapshot CTAS may have registered before submitting it again', async () => {
      submissions(
        [succeeded], // CREATE OR REPLACE VIEW
        [succeeded], // SHOW TABLES
        [running, failed('Query exhausted resources at this scale factor', true)], // CREATE TABLE AS
        [succeeded], // DROP TABLE IF EXISTS
        [succeeded], // CREATE TABLE AS, again
        [succeeded], // SELECT
      );
      athena.on(GetQueryResultsCommand).resolves(noRows);
      const subject = new AthenaSqlEngine({
        client: new AthenaClient({ region: 'eu-west-1' }),
        workGroup: 'cs-pulse',
        database: 'cs_pulse',
        sleep: async () => {},
        materializedViews: ['a'],
      });
      await subject.query('CREATE OR REPLACE VIEW cs_pulse.a AS SELECT 1 AS x');
      await subject.snapshotViews(['a']);
      const [, , create, drop, createAgain] = sent();
      const table = /^CREATE TABLE cs_pulse\.(cs_pulse_snapshot_\w+_a) WITH/.exec(create!)?.[1];
      expect(table).toBeDefined();
      expect(drop).toBe(`DROP TABLE IF EXISTS cs_pulse.${table}`);
      expect(createAgain).toBe(create);
      // The statements after read the snapshot the second attempt made.
      await subject.query('SELECT x FROM cs_pulse.a');
      expect(sent().at(-1)).toBe(`SELECT x FROM cs_pulse.${table}`);
    });
  });

  describe('snapshots of views', () => {
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
