/** A segment KPIs are sliced by: the account's latest `plan` or attribute value. `null` means all accounts. */
export interface Segment {
  readonly key: string;
  readonly value: string;
}

/** Calendar periods: every month or quarter has its point. */
export const CALENDAR_GRAINS = ['month', 'quarter'] as const;
/** One trailing window ending at the aggregation's as-of; each run adds the point of its own as-of date. */
export const ROLLING_GRAINS = ['rolling_30d', 'rolling_90d'] as const;
export const GRAINS = [...CALENDAR_GRAINS, ...ROLLING_GRAINS] as const;
export type Grain = (typeof GRAINS)[number];
export type CalendarGrain = (typeof CALENDAR_GRAINS)[number];
export type RollingGrain = (typeof ROLLING_GRAINS)[number];

/** The length of a rolling window, in days. */
export const ROLLING_DAYS: Readonly<Record<RollingGrain, number>> = { rolling_30d: 30, rolling_90d: 90 };

export function isRollingGrain(grain: Grain): grain is RollingGrain {
  return (ROLLING_GRAINS as readonly string[]).includes(grain);
}

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
  /** value minus the previous period's value in the same segment; null when that period has no data. */
  readonly change?: number | null;
  /** Whether `change` is significant at 95 % (the metric's own two-sample test); null when it cannot be tested. */
  readonly change_significant?: boolean | null;
  /** Fewer responses (or customers) than the low-sample threshold: read the interval before the value. */
  readonly low_sample?: boolean;
  /** Whether the period had ended when it was computed. */
  readonly complete: boolean;
  readonly computed_at: string;
}

/** The first day of the period that contains a date. */
export function periodStartOf(date: Date, grain: CalendarGrain): Date {
  const month = grain === 'quarter' ? Math.floor(date.getUTCMonth() / 3) * 3 : date.getUTCMonth();
  return new Date(Date.UTC(date.getUTCFullYear(), month, 1));
}

/** The first day of the period after the one starting at `start`. */
export function nextPeriodStart(start: Date, grain: CalendarGrain): Date {
  return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + (grain === 'quarter' ? 3 : 1), 1));
}

/** The first day of the period before the one starting at `start`. */
export function previousPeriodStart(start: Date, grain: CalendarGrain): Date {
  return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() - (grain === 'quarter' ? 3 : 1), 1));
}

export function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function segmentLabel(segment: Segment | null): string {
  return segment ? `${segment.key}:${segment.value}` : 'all';
}
