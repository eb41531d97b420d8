/** A segment KPIs are sliced by: the account's latest `plan` or attribute value. `null` means all accounts. */
export interface Segment {
  readonly key: string;
  readonly value: string;
}

export const GRAINS = ['month', 'quarter'] as const;
export type Grain = (typeof GRAINS)[number];

/** One KPI value: a metric for one period and segment, as stored and as served. */
export interface KpiPoint {
  readonly metric: string;
  readonly grain: Grain;
  readonly segment: Segment | null;
  /** First day of the period, `YYYY-MM-DD` (UTC). */
  readonly period_start: string;
  readonly value: number;
  /** Responses, or customers at the start for churn. */
  readonly n: number;
  readonly ci95: readonly [number, number] | null;
  readonly components: Readonly<Record<string, number | null>>;
  /** Whether the period had ended when it was computed. */
  readonly complete: boolean;
  readonly computed_at: string;
}

/** The first day of the period that contains a date. */
export function periodStartOf(date: Date, grain: Grain): Date {
  const month = grain === 'quarter' ? Math.floor(date.getUTCMonth() / 3) * 3 : date.getUTCMonth();
  return new Date(Date.UTC(date.getUTCFullYear(), month, 1));
}

/** The first day of the period after the one starting at `start`. */
export function nextPeriodStart(start: Date, grain: Grain): Date {
  return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + (grain === 'quarter' ? 3 : 1), 1));
}

export function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function segmentLabel(segment: Segment | null): string {
  return segment ? `${segment.key}:${segment.value}` : 'all';
}
