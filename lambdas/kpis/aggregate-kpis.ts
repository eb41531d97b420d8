import {
  KPI_QUERIES,
  type KpiQuery,
  metricRows,
  positionalValues,
  RUN_SNAPSHOT_VIEWS,
  renderSql,
  VIEWS,
} from '../../queries/registry.js';
import { COMPACTED_PREFIX, partitionOfKey, TABLES_PREFIX } from '../lake/layout.js';
import type { KpiStore, KpiSummary } from '../ports/kpi-store.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { SqlEngine, SqlRow, SqlValue } from '../ports/sql-engine.js';
import { aggregateCohorts, type CohortRun } from './aggregate-cohorts.js';
import { aggregateInsights } from './aggregate-insights.js';
import {
  CALENDAR_GRAINS,
  type CalendarGrain,
  type Grain,
  isoDate,
  isRollingGrain,
  type KpiPoint,
  periodStartOf,
  previousPeriodStart,
  ROLLING_DAYS,
  ROLLING_GRAINS,
  type RollingGrain,
} from './kpi-point.js';

export interface AggregateOptions {
  readonly engine: SqlEngine;
  readonly lake: ObjectStore;
  readonly store: KpiStore;
  /** Data up to (not including) this instant counts; the current period is the one containing it. */
  readonly asOf: Date;
  /** Recompute every period in the lake instead of only those recent data can change. @default false */
  readonly backfill?: boolean;
  /**
   * Count every lake object written since this instant as new, even if an earlier run already saw it: the periods
   * its data fall in are recomputed again (the scheduled backfill of recent periods). @default the watermark
   */
  readonly changedSince?: Date;
  /** The clock, for computed_at and the watermark. */
  readonly now: () => Date;
  /** Before each metric runs, for progress output. */
  readonly onMetric?: (metric: string, grain: Grain) => void;
  /** Periods with fewer responses (customers, for churn) than this are flagged low_sample. @default 30 */
  readonly lowSampleMin?: number;
  /** How many days after a survey response a churn still counts towards the churn drivers. @default 90 */
  readonly churnHorizonDays?: number;
}

const DAY_MS = 24 * 3600 * 1000;

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
  try {
    return await aggregate(options);
  } finally {
    // Snapshots belong to one run: the next one (the same Lambda container, say) recreates the views first.
    await options.engine.releaseSnapshots?.();
  }
}

async function aggregate(options: AggregateOptions): Promise<AggregateReport> {
  const startedAt = options.now();
  const extent = await scanLake(options.lake, options.backfill ? undefined : await changedSince(options));
  const changedFrom = extent.earliestChanged;
  const lakeStart = extent.earliest;
  const runs: MetricRun[] = [];
  const summaries: KpiSummary[] = [];
  if (lakeStart === undefined) {
    await options.store.setWatermark(startedAt);
    return { from: null, runs, summaries, cohorts: [] };
  }

  for (const view of VIEWS) await options.engine.query(renderSql(view, options.engine.database));
  // All of each view: the KPI queries read only their periods' partitions, but cohorts, survival and churn drivers
  // read the whole history, and every query of the run shares the snapshot.
  await options.engine.snapshotViews?.(RUN_SNAPSHOT_VIEWS, { fromPartition: lakeStart });
  let earliest: string | null = null;
  for (const grain of CALENDAR_GRAINS) {
    const currentStart = periodStartOf(new Date(options.asOf.getTime() - 1), grain);
    const previousStart = periodStartOf(new Date(currentStart.getTime() - 1), grain);
    const from = recomputeFrom(options.asOf, grain, changedFrom, lakeStart);
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
  for (const grain of ROLLING_GRAINS) summaries.push(await aggregateRolling(options, grain, runs));
  for (const summary of summaries) await options.store.putSummary(summary);
  await aggregateInsights(options);
  // The watermark is the start of this run: files written while it ran are picked up by the next one.
  await options.store.setWatermark(startedAt);
  return { from: earliest, runs, summaries, cohorts };
}

/** The earlier of the watermark and `changedSince`: data written since then counts as new. */
async function changedSince(options: AggregateOptions): Promise<Date | undefined> {
  const watermark = await options.store.watermark();
  // No watermark yet: a first run, in which everything is new anyway.
  if (watermark === undefined || options.changedSince === undefined) return watermark;
  return new Date(Math.min(watermark.getTime(), options.changedSince.getTime()));
}

/**
 * The first period to recompute: the earliest one with changed data, and always the previous and current ones (time
 * moves them), but never before the lake's first data.
 */
function recomputeFrom(
  asOf: Date,
  grain: CalendarGrain,
  changedFrom: string | undefined,
  lakeStart: string,
): Date {
  const currentStart = periodStartOf(new Date(asOf.getTime() - 1), grain);
  const previousStart = periodStartOf(new Date(currentStart.getTime() - 1), grain);
  const candidates = [previousStart];
  if (changedFrom !== undefined) candidates.push(periodStartOf(new Date(`${changedFrom}T00:00:00Z`), grain));
  const earliest = Math.min(...candidates.map((date) => date.getTime()));
  return new Date(Math.max(earliest, periodStartOf(new Date(`${lakeStart}T00:00:00Z`), grain).getTime()));
}

/**
 * Runs each distinct (SQL, parameters) once: one query can serve several metrics (revenue.sql serves six), and each
 * metric asks for its rows.
 */
const resultCaches = new WeakMap<AggregateOptions, Map<string, Promise<SqlRow[]>>>();

function cachedQuery(options: AggregateOptions, sql: string, parameters: SqlValue[]): Promise<SqlRow[]> {
  const cache = resultCaches.get(options) ?? new Map<string, Promise<SqlRow[]>>();
  resultCaches.set(options, cache);
  const key = `${sql}\u0000${JSON.stringify(parameters)}`;
  const rows = cache.get(key) ?? options.engine.query(sql, parameters);
  cache.set(key, rows);
  return rows;
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
  const rows = await cachedQuery(
    options,
    renderSql(query, options.engine.database),
    positionalValues(query, {
      grain,
      period_from: isoDate(from),
      as_of: asOfText,
      low_sample_min: options.lowSampleMin ?? 30,
      // One period (window) more than is reported: the first reported one is compared with it.
      first_dt: isRollingGrain(grain)
        ? isoDate(new Date(options.asOf.getTime() - 2 * ROLLING_DAYS[grain] * DAY_MS))
        : isoDate(previousPeriodStart(from, grain)),
      last_dt: isoDate(new Date(options.asOf.getTime() - 1)),
    }),
  );
  return metricRows(query, rows).map((row) => toPoint(query, grain, row, currentStart, computedAt));
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
    change: finiteOrNull(row.change),
    change_significant: typeof row.change_significant === 'boolean' ? row.change_significant : null,
    low_sample: row.low_sample === true,
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

/**
 * The one window of a rolling grain that ends at as of, for every KPI that answers rolling grains. Earlier windows
 * stay in the store as they were computed, so the grain's series is the trailing value by aggregation date.
 */
async function aggregateRolling(
  options: AggregateOptions,
  grain: RollingGrain,
  runs: MetricRun[],
): Promise<KpiSummary> {
  const windowStart = new Date(options.asOf.getTime() - ROLLING_DAYS[grain] * DAY_MS);
  const day = isoDate(windowStart);
  // No rolling window is still running: each ends at as of, so each is complete.
  const afterAll = new Date(options.asOf.getTime() + DAY_MS);
  const metrics: Record<string, KpiSummary['metrics'][string]> = {};
  for (const query of KPI_QUERIES) {
    if (!query.rolling) {
      metrics[query.id] = { latest_complete: null, current: null };
      continue;
    }
    options.onMetric?.(query.id, grain);
    const began = performance.now();
    const points = await computeMetric(options, query, grain, windowStart, afterAll);
    const { written, deleted } = await options.store.replacePeriods(query.id, grain, day, day, points);
    runs.push({
      metric: query.id,
      grain,
      from: day,
      to: day,
      written,
      deleted,
      milliseconds: performance.now() - began,
    });
    metrics[query.id] = {
      latest_complete: points.find((point) => point.segment === null) ?? null,
      current: null,
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
 * One listing of the table files, fresh JSON and compacted Parquet alike (compaction rewrites rows an earlier run may
 * not have seen as JSON yet). A segment is an account's latest attribute value, so a changed attribute can move an
 * account between segments in every period: then the whole history counts as changed.
 */
async function scanLake(lake: ObjectStore, watermark: Date | undefined): Promise<LakeExtent> {
  let earliest: string | undefined;
  let earliestChanged: string | undefined;
  let segmentsChanged = false;
  for (const prefix of [TABLES_PREFIX, COMPACTED_PREFIX]) {
    for await (const object of lake.listObjects(prefix)) {
      const dt = partitionOfKey(object.key);
      if (!dt) continue;
      if (earliest === undefined || dt < earliest) earliest = dt;
      if (watermark && object.lastModified < watermark) continue;
      if (object.key.startsWith(`${prefix}account_attributes/`)) segmentsChanged = true;
      if (earliestChanged === undefined || dt < earliestChanged) earliestChanged = dt;
    }
  }
  return { earliest, earliestChanged: segmentsChanged ? earliest : earliestChanged };
}
