import type { Segment } from './kpi-point.js';

/**
 * The analyses stored beside the KPI series, one document each, served as they are by the read API (which checks
 * them against its zod schemas). All the statistics in them come from queries/analysis/*.sql.
 */
export const SURVIVAL_ANALYSIS = 'survival';
export const CHURN_DRIVERS_ANALYSIS = 'churn_drivers';
/** The key of the survival document for all accounts, and of the single churn-drivers document. */
export const ALL_ACCOUNTS_KEY = '*';

export type Interval = readonly [number, number];

export interface SurvivalPoint {
  /** Days since the first subscription start. */
  readonly t: number;
  readonly survival: number;
  readonly at_risk: number;
  readonly events: number;
  readonly censored: number;
  /** Log-log 95% band on Greenwood's variance; null where survival is 1 or 0. */
  readonly ci95: Interval | null;
}

export interface SurvivalCurve {
  readonly segment: Segment | null;
  readonly accounts: number;
  readonly churned: number;
  readonly median_days: number | null;
  readonly points: readonly SurvivalPoint[];
}

export interface LogRankTest {
  readonly method: string;
  readonly statistic: number;
  readonly df: number;
  readonly p_value: number;
  readonly significant: boolean;
  readonly groups: readonly { value: string; observed: number; expected: number }[];
}

export interface SurvivalDocument {
  readonly segment_key: string | null;
  readonly as_of: string;
  readonly computed_at: string;
  readonly time_unit: 'day';
  /** How the 95% band is built: Greenwood's variance on the log(−log S) scale. */
  readonly band: 'log-log';
  readonly curves: readonly SurvivalCurve[];
  /** Null for all accounts, and for a key with one value or no churn. */
  readonly test: LogRankTest | null;
}

export const SURVEYS = ['nps', 'ces', 'csat'] as const;
export type Survey = (typeof SURVEYS)[number];

export interface ChurnRate {
  readonly responses: number;
  readonly churned: number;
  /** Percent churned within the horizon, with its Wilson 95% interval. */
  readonly churn_rate: number;
  readonly ci95: Interval;
}

export interface AreaUnderCurve {
  readonly value: number;
  readonly se: number;
  readonly ci95: Interval;
}

export interface SurveyChurnDrivers extends ChurnRate {
  /** How well a low score foretells churn: 0.5 is chance, 1 perfect. Null without both churned and retained. */
  readonly auc: AreaUnderCurve | null;
  readonly bands: readonly (ChurnRate & { band: string })[];
}

export type ComparisonAnswer = 'ces' | 'nps' | 'no_difference' | 'insufficient_data';

export interface ArrAtRisk {
  readonly currency: string | null;
  readonly accounts_at_risk: number;
  readonly detractor_accounts: number;
  readonly high_effort_accounts: number;
  readonly arr_at_risk: number;
  readonly active_accounts: number;
  readonly total_arr: number;
}

export interface ChurnDriversDocument {
  readonly as_of: string;
  readonly computed_at: string;
  readonly horizon_days: number;
  readonly surveys: Readonly<Record<Survey, SurveyChurnDrivers | null>>;
  readonly ces_vs_nps: {
    readonly answer: ComparisonAnswer;
    readonly verdict: string;
    readonly auc_difference: number | null;
    readonly ci95: Interval | null;
  };
  readonly arr_at_risk: readonly ArrAtRisk[];
}
