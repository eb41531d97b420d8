import {
  ANALYSIS_QUERIES,
  positionalValues,
  type RegisteredQuery,
  renderSql,
} from '../../queries/registry.js';
import type { KpiStore } from '../ports/kpi-store.js';
import type { SqlEngine, SqlRow, SqlValue } from '../ports/sql-engine.js';
import {
  ALL_ACCOUNTS_KEY,
  type ArrAtRisk,
  CHURN_DRIVERS_ANALYSIS,
  type ChurnDriversDocument,
  type ChurnRate,
  type Interval,
  type LogRankTest,
  SURVEYS,
  SURVIVAL_ANALYSIS,
  type Survey,
  type SurveyChurnDrivers,
  type SurvivalCurve,
  type SurvivalDocument,
} from './insight-documents.js';

export interface InsightOptions {
  readonly engine: SqlEngine;
  readonly store: KpiStore;
  readonly asOf: Date;
  readonly now: () => Date;
  /** @default 90 */
  readonly churnHorizonDays?: number;
}

/**
 * Survival curves with their log-rank tests, and the churn drivers, from their SQL into the KPI store. They read the
 * whole history (an account's lifetime spans every period), so each aggregation recomputes them whole; the views
 * they read were (re)created by the KPI aggregation just before.
 */
export async function aggregateInsights(options: InsightOptions): Promise<void> {
  const computedAt = options.now().toISOString();
  const values = {
    as_of: options.asOf.toISOString().replace('T', ' ').replace('Z', ''),
    horizon_days: options.churnHorizonDays ?? 90,
  };
  const run = (id: string) =>
    options.engine.query(
      renderSql(analysis(id), options.engine.database),
      positionalValues(analysis(id), values),
    );

  const survival = survivalDocuments(
    await run('survival'),
    await run('logrank'),
    options.asOf.toISOString(),
    computedAt,
  );
  await options.store.replaceAnalysis(SURVIVAL_ANALYSIS, survival);

  const drivers = churnDriversDocument(
    await run('churn_drivers'),
    await run('arr_at_risk'),
    options.asOf.toISOString(),
    computedAt,
    values.horizon_days,
  );
  await options.store.replaceAnalysis(CHURN_DRIVERS_ANALYSIS, new Map([[ALL_ACCOUNTS_KEY, drivers]]));
}

function analysis(id: string): RegisteredQuery {
  const query = ANALYSIS_QUERIES.find((candidate) => candidate.id === id);
  if (!query) throw new Error(`no analysis query ${id}`);
  return query;
}

const number = (value: SqlValue | undefined): number => Number(value);
const numberOrNull = (value: SqlValue | undefined): number | null => {
  const parsed =
    typeof value === 'number' ? value : value === null || value === undefined ? Number.NaN : Number(value);
  return Number.isFinite(parsed) ? parsed : null;
};
const interval = (low: SqlValue | undefined, high: SqlValue | undefined): Interval | null => {
  const lowValue = numberOrNull(low);
  const highValue = numberOrNull(high);
  return lowValue !== null && highValue !== null ? [lowValue, highValue] : null;
};

/** One document per segment key (and one for all accounts): its curves, one per value, and its log-rank test. */
export function survivalDocuments(
  curveRows: readonly SqlRow[],
  testRows: readonly SqlRow[],
  asOf: string,
  computedAt: string,
): Map<string, SurvivalDocument> {
  const curvesByKey = new Map<string | null, Map<string | null, SqlRow[]>>();
  for (const row of curveRows) {
    const key = row.segment_key === null ? null : String(row.segment_key);
    const value = row.segment_value === null ? null : String(row.segment_value);
    const byValue = curvesByKey.get(key) ?? new Map<string | null, SqlRow[]>();
    byValue.set(value, [...(byValue.get(value) ?? []), row]);
    curvesByKey.set(key, byValue);
  }
  const documents = new Map<string, SurvivalDocument>();
  for (const [key, byValue] of curvesByKey) {
    const curves: SurvivalCurve[] = [...byValue].map(([value, rows]) => ({
      segment: key === null || value === null ? null : { key, value },
      accounts: number(rows[0]?.accounts),
      churned: number(rows[0]?.churned_accounts),
      median_days: numberOrNull(rows[0]?.median_days),
      points: rows.map((row) => ({
        t: number(row.t),
        survival: number(row.survival),
        at_risk: number(row.at_risk),
        events: number(row.events),
        censored: number(row.censored),
        ci95: interval(row.ci_low, row.ci_high),
      })),
    }));
    const groups = testRows.filter((row) => row.segment_key === key);
    const first = groups[0];
    const test: LogRankTest | null =
      key === null || !first
        ? null
        : {
            method: String(first.method),
            statistic: number(first.statistic),
            df: number(first.df),
            p_value: number(first.p_value),
            significant: number(first.p_value) < 0.05,
            groups: groups.map((row) => ({
              value: String(row.segment_value),
              observed: number(row.observed),
              expected: number(row.expected),
            })),
          };
    documents.set(key ?? ALL_ACCOUNTS_KEY, {
      segment_key: key,
      as_of: asOf,
      computed_at: computedAt,
      time_unit: 'day',
      band: 'log-log',
      curves,
      test,
    });
  }
  return documents;
}

function churnRate(row: SqlRow): ChurnRate {
  return {
    responses: number(row.responses),
    churned: number(row.churned),
    churn_rate: number(row.churn_rate),
    ci95: interval(row.ci_low, row.ci_high) ?? [0, 100],
  };
}

/** The churn-drivers document: per survey, churn by band and the AUC; CES against NPS in a sentence; ARR at risk. */
export function churnDriversDocument(
  driverRows: readonly SqlRow[],
  arrRows: readonly SqlRow[],
  asOf: string,
  computedAt: string,
  horizonDays: number,
): ChurnDriversDocument {
  const surveys = {} as Record<Survey, SurveyChurnDrivers | null>;
  for (const survey of SURVEYS) {
    const summary = driverRows.find((row) => row.kind === 'survey' && row.survey === survey);
    const auc = summary ? numberOrNull(summary.auc) : null;
    surveys[survey] = summary
      ? {
          ...churnRate(summary),
          auc:
            auc === null
              ? null
              : {
                  value: auc,
                  se: number(summary.auc_se),
                  ci95: interval(summary.auc_ci_low, summary.auc_ci_high) ?? [0, 1],
                },
          bands: driverRows
            .filter((row) => row.kind === 'band' && row.survey === survey)
            .map((row) => ({ band: String(row.band), ...churnRate(row) })),
        }
      : null;
  }
  const comparison = driverRows.find((row) => row.kind === 'comparison');
  const arr: ArrAtRisk[] = arrRows.map((row) => ({
    currency: row.currency === null ? null : String(row.currency),
    accounts_at_risk: number(row.accounts_at_risk),
    detractor_accounts: number(row.detractor_accounts),
    high_effort_accounts: number(row.high_effort_accounts),
    arr_at_risk: number(row.arr_at_risk),
    active_accounts: number(row.active_accounts),
    total_arr: number(row.total_arr),
  }));
  return {
    as_of: asOf,
    computed_at: computedAt,
    horizon_days: horizonDays,
    surveys,
    ces_vs_nps: cesVersusNps(surveys, comparison, horizonDays),
    arr_at_risk: arr,
  };
}

const format = (value: number, digits = 2) => value.toFixed(digits);

/** The plain answer to "does CES predict churn better than NPS here?", read off the interval of the difference. */
function cesVersusNps(
  surveys: Record<Survey, SurveyChurnDrivers | null>,
  comparison: SqlRow | undefined,
  horizonDays: number,
): ChurnDriversDocument['ces_vs_nps'] {
  const ces = surveys.ces?.auc;
  const nps = surveys.nps?.auc;
  const difference = comparison ? numberOrNull(comparison.auc) : null;
  const ci = comparison ? interval(comparison.auc_ci_low, comparison.auc_ci_high) : null;
  if (!ces || !nps || difference === null || ci === null) {
    const missing = [!ces ? 'CES' : null, !nps ? 'NPS' : null].filter(Boolean).join(' and ');
    return {
      answer: 'insufficient_data',
      verdict:
        `Not enough data to tell: ${missing} needs responses from accounts that churned within ${horizonDays} days ` +
        'after answering and from accounts that stayed.',
      auc_difference: null,
      ci95: null,
    };
  }
  const figures =
    `AUC ${format(ces.value)} for CES against ${format(nps.value)} for NPS; the difference ` +
    `${format(difference)} has the 95% interval ${format(ci[0])} to ${format(ci[1])}`;
  if (ci[0] > 0) {
    return {
      answer: 'ces',
      verdict: `Yes: on this data CES predicts churn better than NPS (${figures}).`,
      auc_difference: difference,
      ci95: ci,
    };
  }
  if (ci[1] < 0) {
    return {
      answer: 'nps',
      verdict: `No: on this data NPS predicts churn better than CES (${figures}).`,
      auc_difference: difference,
      ci95: ci,
    };
  }
  return {
    answer: 'no_difference',
    verdict: `No clear difference: CES and NPS predict churn about equally well on this data (${figures}, which includes zero).`,
    auc_difference: difference,
    ci95: ci,
  };
}
