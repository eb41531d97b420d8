import { KPI_QUERIES, type KpiQuery, positionalValues, renderSql, VIEWS } from '../../queries/registry.js';
import { partitionOfKey, TABLES_PREFIX } from '../lake/layout.js';
import type { KpiStore, KpiSummary } from '../ports/kpi-store.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { SqlEngine, SqlRow } from '../ports/sql-engine.js';
import { aggregateCohorts, type CohortRun } from './aggregate-cohorts.js';
import { GRAINS, type Grain, isoDate, type KpiPoint, periodStartOf } from './kpi-point.js';

export interface AggregateOptions {
  readonly engine: SqlEngine;
  readonly lake: ObjectStore;
  readonly store: KpiStore;
  /** Data up to (not including) this instant counts; the current period is the one containing it. */
  readonly asOf: Date;
  /** Recompute every period in the lake instead of only those recent data can change. @default false */
  readonly backfill?: boolean;
  /** The clock, for computed_at and the watermark. */
  readonly now: () => Date;
  /** Before each metric runs, for progress output. */
  readonly onMetric?: (metric: string, grain: Grain) => void;
}

export interface MetricRun {
  readonly metric: string;
  readonly grain: Grain;
  readonly from: string;
  readonly to: string;
  readonly written: number;
  readonly deleted: number;
  readonly milliseconds: number;
}

export interface AggregateReport {
  /** First day of the earliest period recomputed, or null when nothing needed it. */
  readonly from: string | null;
  readonly runs: readonly MetricRun[];
  readonly summaries: readonly KpiSummary[];
  /** The cohort tables, recomputed in full on every run that has data. */
  readonly cohorts: readonly CohortRun[];
}

/**
 * Computes every KPI in queries/ into the KPI store. By default only the periods that data arrived since the last
 * run can change are recomputed (plus the current and the just-completed period, which move with time); the SQL
 * then reads only those periods' partitions. `backfill` recomputes every period the lake has.
 */
export async function aggregateKpis(options: AggregateOptions): Promise<AggregateReport> {
  const startedAt = options.now();
  const extent = await scanLake(options.lake, options.backfill ? undefined : await options.store.watermark());
  const changedFrom = extent.earliestChanged;
  const lakeStart = extent.earliest;
  const runs: MetricRun[] = [];
  const summaries: KpiSummary[] = [];
  if (lakeStart === undefined) {
    await options.store.setWatermark(startedAt);
    return { from: null, runs, summaries, cohorts: [] };
  }

  for (const view of VIEWS) await options.engine.query(renderSql(view, options.engine.database));
  // Every grain reads its survey partitions from the start of the earliest period any grain recomputes.
  const readFrom = GRAINS.map((grain) => recomputeFrom(options.asOf, grain, changedFrom, lakeStart))
    .map(isoDate)
    .sort()[0]!;
  await options.engine.snapshotViews?.([
    { name: 'unique_survey_responses', fromDt: readFrom },
    { name: 'unique_subscriptions' },
    { name: 'account_segments' },
    { name: 'subscription_prices' },
    { name: 'subscription_intervals' },
  ]);
  let earliest: string | null = null;
  for (const grain of GRAINS) {
    const currentStart = periodStartOf(new Date(options.asOf.getTime() - 1), grain);
    const previousStart = periodStartOf(new Date(currentStart.getTime() - 1), grain);
    // Recompute from the earliest changed period, and always the previous and current ones (time moves them).
    const candidates = [previousStart];
    if (changedFrom !== undefined)
      candidates.push(periodStartOf(new Date(`${changedFrom}T00:00:00Z`), grain));
    const from = new Date(
      Math.max(
        Math.min(...candidates.map((d) => d.getTime())),
        periodStartOf(new Date(`${lakeStart}T00:00:00Z`), grain).getTime(),
      ),
    );
    if (earliest === null || isoDate(from) < earliest) earliest = isoDate(from);
    for (const query of KPI_QUERIES) {
      options.onMetric?.(query.id, grain);
      const began = performance.now();
      const points = await computeMetric(options, query, grain, from, currentStart);
      const { written, deleted } = await options.store.replacePeriods(
        query.id,
        grain,
        isoDate(from),
        isoDate(currentStart),
        points,
      );
      runs.push({
        metric: query.id,
        grain,
        from: isoDate(from),
        to: isoDate(currentStart),
        written,
        deleted,
        milliseconds: performance.now() - began,
      });
    }
    summaries.push(await summarize(options, grain, currentStart, previousStart));
  }
  const cohorts = await aggregateCohorts(options);
  for (const summary of summaries) await options.store.putSummary(summary);
  // The watermark is the start of this run: files written while it ran are picked up by the next one.
  await options.store.setWatermark(startedAt);
  return { from: earliest, runs, summaries, cohorts };
}

/**
 * The first period to recompute: the earliest one with changed data, and always the previous and current ones (time
 * moves them), but never before the lake's first data.
 */
function recomputeFrom(asOf: Date, grain: Grain, changedFrom: string | undefined, lakeStart: string): Date {
  const currentStart = periodStartOf(new Date(asOf.getTime() - 1), grain);
  const previousStart = periodStartOf(new Date(currentStart.getTime() - 1), grain);
  const candidates = [previousStart];
  if (changedFrom !== undefined) candidates.push(periodStartOf(new Date(`${changedFrom}T00:00:00Z`), grain));
  const earliest = Math.min(...candidates.map((date) => date.getTime()));
  return new Date(Math.max(earliest, periodStartOf(new Date(`${lakeStart}T00:00:00Z`), grain).getTime()));
}

async function computeMetric(
  options: AggregateOptions,
  query: KpiQuery,
  grain: Grain,
  from: Date,
  currentStart: Date,
): Promise<KpiPoint[]> {
  const computedAt = options.now().toISOString();
  const asOfText = options.asOf.toISOString().replace('T', ' ').replace('Z', '');
  const rows = await options.engine.query(
    renderSql(query, options.engine.database),
    positionalValues(query, {
      grain,
      period_from: isoDate(from),
      as_of: asOfText,
      first_dt: isoDate(from),
      last_dt: isoDate(new Date(options.asOf.getTime() - 1)),
    }),
  );
  return rows
    .filter((row) => Number(row.n) > 0 && Number.isFinite(Number(row.value)))
    .map((row) => toPoint(query, grain, row, currentStart, computedAt));
}

function toPoint(
  query: KpiQuery,
  grain: Grain,
  row: SqlRow,
  currentStart: Date,
  computedAt: string,
): KpiPoint {
  const low = finiteOrNull(row.ci_low);
  const high = finiteOrNull(row.ci_high);
  const components: Record<string, number | null> = {};
  for (const name of query.components) components[name] = finiteOrNull(row[name]);
  const periodStart = String(row.period_start);
  return {
    metric: query.id,
    grain,
    segment:
      row.segment_key === null ? null : { key: String(row.segment_key), value: String(row.segment_value) },
    period_start: periodStart,
    value: Number(row.value),
    n: Number(row.n),
    ci95: low !== null && high !== null ? [low, high] : null,
    components,
    complete: periodStart < isoDate(currentStart),
    computed_at: computedAt,
  };
}

function finiteOrNull(value: unknown): number | null {
  const number = typeof value === 'number' ? value : Number.NaN;
  return Number.isFinite(number) ? number : null;
}

async function summarize(
  options: AggregateOptions,
  grain: Grain,
  currentStart: Date,
  previousStart: Date,
): Promise<KpiSummary> {
  const metrics: Record<string, KpiSummary['metrics'][string]> = {};
  for (const query of KPI_QUERIES) {
    const points = await options.store.series(
      query.id,
      grain,
      null,
      isoDate(previousStart),
      isoDate(currentStart),
    );
    metrics[query.id] = {
      latest_complete: points.find((point) => point.period_start === isoDate(previousStart)) ?? null,
      current: points.find((point) => point.period_start === isoDate(currentStart)) ?? null,
    };
  }
  return { grain, computed_at: options.now().toISOString(), metrics };
}

interface LakeExtent {
  /** The first dt of any table partition; undefined for an empty lake. */
  readonly earliest: string | undefined;
  /** The first dt whose data can have changed since the watermark. */
  readonly earliestChanged: string | undefined;
}

/**
 * One listing of the table files. A segment is an account's latest attribute value, so a changed attribute can move
 * an account between segments in every period: then the whole history counts as changed.
 */
async function scanLake(lake: ObjectStore, watermark: Date | undefined): Promise<LakeExtent> {
  let earliest: string | undefined;
  let earliestChanged: string | undefined;
  let segmentsChanged = false;
  for await (const object of lake.listObjects(TABLES_PREFIX)) {
    const dt = partitionOfKey(object.key);
    if (!dt) continue;
    if (earliest === undefined || dt < earliest) earliest = dt;
    if (watermark && object.lastModified < watermark) continue;
    if (object.key.startsWith(`${TABLES_PREFIX}account_attributes/`)) segmentsChanged = true;
    if (earliestChanged === undefined || dt < earliestChanged) earliestChanged = dt;
  }
  return { earliest, earliestChanged: segmentsChanged ? earliest : earliestChanged };
}
