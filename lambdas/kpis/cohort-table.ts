import type { CohortKind } from '../../queries/registry.js';
import type { SqlRow } from '../ports/sql-engine.js';
import type { Segment } from './kpi-point.js';

/** One start-month cohort: its size and the percent it retained at the end of each month since it started. */
export interface CohortRow {
  /** The start month, `YYYY-MM`. */
  readonly cohort: string;
  /** Accounts whose first subscription started that month. */
  readonly size: number;
  /** Revenue cohorts: the cohort's new-business MRR, what the percentages are of. */
  readonly starting_mrr?: number;
  /** Index k: percent retained at the end of the k-th month after the start month (0 = the start month itself). */
  readonly retention: readonly number[];
}

/** Every cohort of one kind and segment, as stored in one KPI-store item and served in one read. */
export interface CohortTable {
  readonly kind: CohortKind;
  readonly segment: Segment | null;
  readonly computed_at: string;
  readonly cohorts: readonly CohortRow[];
}

/**
 * Pivots the long rows of a cohort query (one per segment × cohort × month since start, ordered by month) into one
 * table per segment, cohorts ascending.
 */
export function cohortTablesOf(kind: CohortKind, rows: readonly SqlRow[], computedAt: string): CohortTable[] {
  const bySegment = new Map<string, { segment: Segment | null; cohorts: Map<string, MutableCohort> }>();
  for (const row of rows) {
    const segment =
      row.segment_key === null ? null : { key: String(row.segment_key), value: String(row.segment_value) };
    const segmentKey = segment ? `${segment.key}\u0000${segment.value}` : '';
    let table = bySegment.get(segmentKey);
    if (!table) {
      table = { segment, cohorts: new Map() };
      bySegment.set(segmentKey, table);
    }
    const month = String(row.cohort).slice(0, 7);
    let cohort = table.cohorts.get(month);
    if (!cohort) {
      cohort = {
        cohort: month,
        size: Number(row.cohort_size),
        ...(kind === 'revenue' ? { starting_mrr: Number(row.starting_mrr) } : {}),
        retention: [],
      };
      table.cohorts.set(month, cohort);
    }
    cohort.retention[Number(row.months_since_start)] = Number(row.retention_pct);
  }
  return [...bySegment.values()].map(({ segment, cohorts }) => ({
    kind,
    segment,
    computed_at: computedAt,
    cohorts: [...cohorts.values()].sort((a, b) => a.cohort.localeCompare(b.cohort)),
  }));
}

interface MutableCohort {
  cohort: string;
  size: number;
  starting_mrr?: number;
  retention: number[];
}
