import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbSqlEngine } from '../../lambdas/adapters/duckdb-sql-engine.js';
import { GRAINS, type KpiPoint } from '../../lambdas/kpis/kpi-point.js';
import { type CompactionReport, compactLake } from '../../lambdas/lake/compact-lake.js';
import { replayLake } from '../../lambdas/lake/replay.js';
import { fixedClock } from '../../lambdas/ports/clock.js';
import type { KpiStore } from '../../lambdas/ports/kpi-store.js';
import { COHORT_KINDS, KPI_QUERIES, renderSql, VIEWS } from '../../queries/registry.js';
import { cli } from '../support/cli.js';
import { surveyEvent } from '../support/events.js';
import { NOW, postKnownAnswerCompany, surveys } from '../support/known-answer-company.js';
import { startTestApp, type TestApp } from '../support/local-app.js';

/** Every stored KPI point (all metrics, grains and segments) and cohort table, without the computation time. */
async function everything(store: KpiStore): Promise<unknown> {
  const points: Omit<KpiPoint, 'computed_at'>[] = [];
  for (const query of KPI_QUERIES) {
    for (const grain of GRAINS) {
      for (const segment of [null, ...(await store.segments(query.id, grain))]) {
        for (const { computed_at: _, ...point } of await store.series(
          query.id,
          grain,
          segment,
          '1970-01-01',
          '9999-12-31',
        )) {
          points.push(point);
        }
      }
    }
  }
  const cohorts = await Promise.all(COHORT_KINDS.map((kind) => store.cohorts(kind, null)));
  return {
    points,
    cohorts: JSON.parse(JSON.stringify(cohorts), (key, value) => (key === 'computed_at' ? undefined : value)),
  };
}

async function filesUnder(folder: string, extension: string): Promise<string[]> {
  try {
    return (await readdir(folder, { recursive: true })).filter((name) => name.endsWith(extension)).sort();
  } catch {
    return [];
  }
}

/**
 * Compaction on the local engine (DuckDB writing Parquet with COPY), with the hand-built company of the known-answer
 * test: it must change no number, now or after late data, a second run or a replay.
 */
describe('compacting the lake', () => {
  let app: TestApp;
  let before: unknown;
  let first: CompactionReport;
  const tables = () => path.join(app.home.lake, 'tables');
  const compacted = () => path.join(app.home.lake, 'compacted');
  const compact = async () => {
    const engine = await DuckDbSqlEngine.open({ lakeRoot: app.home.lake });
    try {
      // Real time for "today": every day of the 2025 company is closed. No settle margin: the files are done.
      return await compactLake({ engine, lake: app.store, now: () => new Date(), settleMs: 0 });
    } finally {
      await engine.close();
    }
  };
  const januaryNps = async () => {
    const [point] = await app.kpiStore.store.series('nps', 'month', null, '2025-01-01', '2025-01-01');
    return point;
  };

  beforeAll(async () => {
    app = await startTestApp({ clock: fixedClock(NOW) });
    await postKnownAnswerCompany(app);
    await app.aggregator.run({ backfill: true });
    before = await everything(app.kpiStore.store);
    first = await compact();
  });
  afterAll(async () => app.stop());

  it('folds every closed day of every table into one Parquet file and deletes the JSON it copied', async () => {
    const jsonBefore = first.days.reduce((sum, day) => sum + day.filesDeleted, 0);
    expect(jsonBefore).toBeGreaterThan(10);
    expect(first.days.every((day) => day.filesKept === 0)).toBe(true);
    expect(await filesUnder(tables(), '.jsonl')).toEqual([]);
    const parquet = await filesUnder(compacted(), '.parquet');
    expect(parquet).toHaveLength(first.days.length);
    expect(new Set(parquet.map((file) => path.dirname(file))).size).toBe(first.days.length);
    // One row per response: the test app's clock is fixed, so a retried copy is the same row to the last column, and
    // the EXCEPT of the compaction keeps it once (copies received at different times are all kept; the views pick).
    const surveyRows = first.days
      .filter((day) => day.table === 'survey_responses')
      .reduce((sum, day) => sum + (day.rowsAppended ?? 0), 0);
    expect(surveyRows).toBe(surveys.length);
  });

  it('leaves every KPI point and cohort table exactly as it was', async () => {
    await app.aggregator.run({ backfill: true });
    expect(await everything(app.kpiStore.store)).toEqual(before);
    expect(await januaryNps()).toMatchObject({
      n: 6,
      components: { promoters: 3, passives: 1, detractors: 2 },
    });
  });

  it('counts late data for a compacted day at once, and once more after it is compacted too', async () => {
    // A detractor answering on 5 January, a compacted day, delivered now (and retried: it must count once).
    const late = surveyEvent('nps-late', 'globex', 'nps', 3, '2025-01-05T12:00:00Z');
    expect((await app.postGeneric({ events: [late] }, { id: 'late-1', sentAt: NOW })).status).toBe(202);
    expect((await app.postGeneric({ events: [late] }, { id: 'late-2', sentAt: NOW })).status).toBe(202);
    // The clock is fixed, so both copies are the same row, and the server's merged file of it is the same file.
    expect(await filesUnder(path.join(tables(), 'survey_responses'), '.jsonl')).toHaveLength(1);

    // Incremental: the late JSON files are the change it finds.
    await app.aggregator.run();
    const withLate = { n: 7, value: 0, components: { promoters: 3, passives: 1, detractors: 3 } };
    expect(await januaryNps()).toMatchObject(withLate);

    const second = await cli(['compact', '--settle-seconds', '0', '--json'], {
      CS_PULSE_HOME: app.home.root,
    });
    expect(second.code).toBe(0);
    const report = JSON.parse(second.out) as CompactionReport;
    expect(report.days).toEqual([
      { table: 'survey_responses', dt: '2025-01-05', rowsAppended: 1, filesDeleted: 1, filesKept: 0 },
    ]);
    expect(
      await filesUnder(path.join(compacted(), 'survey_responses', 'dt=2025-01-05'), '.parquet'),
    ).toHaveLength(2);
    await app.aggregator.run({ backfill: true });
    expect(await januaryNps()).toMatchObject(withLate);
  });

  it('adds nothing when run again, and keeps JSON files written too recently to be sure they were copied', async () => {
    expect((await compact()).days).toEqual([]);
    // A retry of a compacted response: a row the Parquet copy already holds.
    const retry = surveyEvent('nps-2', 'acme', 'nps', 9, '2025-01-06T10:00:00Z');
    expect((await app.postGeneric({ events: [retry] }, { id: 'retry-3', sentAt: NOW })).status).toBe(202);
    const engine = await DuckDbSqlEngine.open({ lakeRoot: app.home.lake });
    try {
      const report = await compactLake({ engine, lake: app.store, now: () => new Date(), settleMs: 60_000 });
      expect(report.days).toEqual([
        { table: 'survey_responses', dt: '2025-01-06', rowsAppended: 0, filesDeleted: 0, filesKept: 1 },
      ]);
    } finally {
      await engine.close();
    }
    // Kept as JSON and in the Parquet copy: the views count it once all the same.
    const views = await DuckDbSqlEngine.open({ lakeRoot: app.home.lake });
    try {
      for (const view of VIEWS) await views.query(renderSql(view, views.database));
      const [fresh] = await views.query(
        "SELECT count(*) AS n FROM lake.survey_responses WHERE dt = '2025-01-06'",
      );
      const [unique] = await views.query(
        "SELECT count(*) AS n FROM lake.unique_survey_responses WHERE survey = 'nps' AND dt < '2025-02-01'",
      );
      expect({ fresh: fresh!.n, unique: unique!.n }).toEqual({ fresh: 1, unique: 7 });
    } finally {
      await views.close();
    }
  });

  it('is undone by a replay, which rebuilds the JSON from the raw archive with the same numbers', async () => {
    const expected = await everything(app.kpiStore.store);
    const report = await replayLake(app.store, { sourceOptions: () => ({}) });
    expect(report.compactedObjectsDeleted).toBeGreaterThan(0);
    expect(await filesUnder(compacted(), '.parquet')).toEqual([]);
    await app.aggregator.run({ backfill: true });
    expect(await everything(app.kpiStore.store)).toEqual(expected);
  });
});
