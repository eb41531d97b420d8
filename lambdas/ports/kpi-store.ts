import type { CohortKind } from '../../queries/registry.js';
import type { CohortTable } from '../kpis/cohort-table.js';
import type { Grain, KpiPoint, Segment } from '../kpis/kpi-point.js';

/** The latest complete and the current period of every metric: what `GET /v1/kpis` serves in one read. */
export interface KpiSummary {
  readonly grain: Grain;
  readonly computed_at: string;
  readonly metrics: Readonly<Record<string, { latest_complete: KpiPoint | null; current: KpiPoint | null }>>;
}

/**
 * Where computed KPIs live: DynamoDB on AWS, dynalite (the DynamoDB API on loopback) locally, through one adapter.
 * docs/kpi-store.md describes the keys and access patterns.
 */
export interface KpiStore {
  /**
   * Makes the stored points of one metric and grain for periods from..to (inclusive, period starts) exactly the
   * given ones: writes them (idempotently) and deletes points of those periods that the new computation no longer
   * produced (a segment an account left).
   */
  replacePeriods(
    metric: string,
    grain: Grain,
    from: string,
    to: string,
    points: readonly KpiPoint[],
  ): Promise<{ written: number; deleted: number }>;
  /** One metric's points for a segment, periods from..to inclusive, ascending: a single Query. */
  series(
    metric: string,
    grain: Grain,
    segment: Segment | null,
    from: string,
    to: string,
  ): Promise<KpiPoint[]>;
  /** Every segment a metric has points for. */
  segments(metric: string, grain: Grain): Promise<Segment[]>;
  putSummary(summary: KpiSummary): Promise<void>;
  /**
   * Makes the stored cohort tables of a kind exactly the given ones (one per segment): writes them and deletes the
   * tables of segments the new computation no longer produced.
   */
  replaceCohorts(
    kind: CohortKind,
    tables: readonly CohortTable[],
  ): Promise<{ written: number; deleted: number }>;
  /** The cohort table of a kind for a segment: a single read. */
  cohorts(kind: CohortKind, segment: Segment | null): Promise<CohortTable | undefined>;
  summary(grain: Grain): Promise<KpiSummary | undefined>;
  /** When the last aggregation started, so the next one knows which data is new. */
  watermark(): Promise<Date | undefined>;
  setWatermark(at: Date): Promise<void>;
  /**
   * Makes the stored documents of one analysis (survival curves, churn drivers) exactly the given ones, by key:
   * writes them and deletes the keys the new computation no longer produced.
   */
  replaceAnalysis(analysis: string, documents: ReadonlyMap<string, unknown>): Promise<void>;
  /** One stored document of an analysis, or undefined before it was computed. */
  analysis(analysis: string, key: string): Promise<unknown | undefined>;
}
