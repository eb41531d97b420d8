import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LakeTable } from '../lambdas/lake/layout.js';
import type { SqlRow } from '../lambdas/ports/sql-engine.js';

/**
 * Every SQL statement cs-pulse runs, one `.sql` file each, in Athena (Trino engine v3) SQL. The same files run on
 * DuckDB locally through lambdas/adapters/duckdb-sql-engine.ts. Only `{{database}}` is templated; values are
 * positional `?` parameters, listed here in the order they appear.
 */
export type ParameterType = 'varchar' | 'date' | 'timestamp' | 'integer' | 'double';

export interface QueryParameter {
  readonly name: string;
  readonly type: ParameterType;
  readonly description: string;
}

export type QueryKind = 'view' | 'kpi' | 'analysis' | 'compaction';

export interface RegisteredQuery {
  readonly id: string;
  readonly kind: QueryKind;
  /** Path under queries/. */
  readonly file: string;
  readonly title: string;
  readonly description: string;
  readonly parameters: readonly QueryParameter[];
}

/** What a KPI's value counts: a score, a percent, an amount of the reporting currency, or accounts. */
export const KPI_UNITS = ['score', 'percent', 'currency', 'count'] as const;

/** A KPI query returns period_start, segment_key, segment_value, n, value, ci_low, ci_high and its components. */
export interface KpiQuery extends RegisteredQuery {
  readonly kind: 'kpi';
  readonly unit: (typeof KPI_UNITS)[number];
  /** Whether the number going up is good news: shapes how changes read. */
  readonly higherIsBetter: boolean;
  /** Result columns that make up `components` in the API. */
  readonly components: readonly string[];
  /** Whether the query reads only the dt partitions of its periods (survey KPIs) or all history (churn). */
  readonly partitioned: boolean;
  /**
   * Whether the query also returns change, change_significant and low_sample (after ci_high, before the components)
   * and takes the low_sample_min parameter. @default false
   */
  readonly compares?: boolean;
  /** Whether the query also answers the rolling grains (rolling_30d, rolling_90d). @default false */
  readonly rolling?: boolean;
  /**
   * Which result columns hold this metric's fields, when one query serves several metrics (revenue.sql serves all six
   * revenue KPIs from one pass, surveys.sql the three survey KPIs). A row whose value is NULL is no point. Each field
   * not named here is read from the column of its own name (`value`, `n`, `ci_low`, …).
   */
  readonly columns?: { readonly value: string; readonly n: string } & Partial<
    Record<(typeof POINT_COLUMNS)[number], string>
  >;
}

/** The result columns a KPI point is read from, besides the components, in the order a KPI query returns them. */
export const POINT_COLUMNS = [
  'n',
  'value',
  'ci_low',
  'ci_high',
  'change',
  'change_significant',
  'low_sample',
] as const;

/** The column of a KPI query's result that holds one field of its points. */
export function pointColumn(query: KpiQuery, field: (typeof POINT_COLUMNS)[number]): string {
  return query.columns?.[field] ?? field;
}

/**
 * A KPI query's result as this metric's points: the rows where it has a value (a query serving several metrics has
 * rows where only another one does), each with the standard columns (`value`, `n`, `ci_low`, …) and the components.
 */
export function metricRows(query: KpiQuery, rows: readonly SqlRow[]): SqlRow[] {
  const fields = query.compares
    ? POINT_COLUMNS
    : POINT_COLUMNS.filter((field) => !(COMPARISON_COLUMNS as readonly string[]).includes(field));
  return rows
    .filter((row) => {
      const value = row[pointColumn(query, 'value')];
      return Number(row[pointColumn(query, 'n')]) > 0 && value !== null && Number.isFinite(Number(value));
    })
    .map((row) => {
      const point: SqlRow = {
        period_start: row.period_start ?? null,
        segment_key: row.segment_key ?? null,
        segment_value: row.segment_value ?? null,
      };
      for (const field of fields) point[field] = row[pointColumn(query, field)] ?? null;
      for (const name of query.components) point[name] = row[name] ?? null;
      return point;
    });
}

/** The column names of a survey KPI in surveys.sql: each field prefixed with the survey's name. */
function surveyColumns(survey: 'nps' | 'ces' | 'csat'): Required<NonNullable<KpiQuery['columns']>> {
  return Object.fromEntries(POINT_COLUMNS.map((field) => [field, `${survey}_${field}`])) as Required<
    NonNullable<KpiQuery['columns']>
  >;
}

/** The period-over-period columns a KPI query that `compares` returns, in order. */
export const COMPARISON_COLUMNS = ['change', 'change_significant', 'low_sample'] as const;

const grain: QueryParameter = {
  name: 'grain',
  type: 'varchar',
  description:
    "period length: 'month' or 'quarter', or 'rolling_30d' / 'rolling_90d' (one window ending at as_of)",
};
const periodFrom: QueryParameter = {
  name: 'period_from',
  type: 'date',
  description: 'start of the first period to compute',
};
const asOf: QueryParameter = {
  name: 'as_of',
  type: 'timestamp',
  description: 'cut-off (exclusive): events at or after it are not yet known',
};
const firstDt: QueryParameter = {
  name: 'first_dt',
  type: 'varchar',
  description: 'first dt partition to read (YYYY-MM-DD)',
};
const lastDt: QueryParameter = {
  name: 'last_dt',
  type: 'varchar',
  description: 'last dt partition to read (YYYY-MM-DD)',
};
const lowSampleMin: QueryParameter = {
  name: 'low_sample_min',
  type: 'integer',
  description: 'periods with fewer responses (customers, for churn) than this are flagged low_sample',
};
const horizonDays: QueryParameter = {
  name: 'horizon_days',
  type: 'integer',
  description: 'an account churned "after" a response when it stopped being a customer within this many days',
};
const surveyKpiParameters = [grain, periodFrom, asOf, lowSampleMin, firstDt, lastDt];

/** The union of a table's compacted days and its fresh JSON rows, which every other view reads instead of the table. */
function unionView(table: LakeTable, rows: string): RegisteredQuery {
  return {
    id: `all_${table}`,
    kind: 'view',
    file: `views/all_${table}.sql`,
    title: `All ${rows}`,
    description: `Every ${rows.replace(/s$/, '')} row: the compacted Parquet days and the fresh JSON rows.`,
    parameters: [],
  };
}

/** In dependency order: each view reads only tables and the views before it. */
export const VIEWS: readonly RegisteredQuery[] = [
  unionView('accounts', 'accounts'),
  unionView('account_attributes', 'account attributes'),
  unionView('subscriptions', 'subscription events'),
  unionView('survey_responses', 'survey responses'),
  {
    id: 'unique_survey_responses',
    kind: 'view',
    file: 'views/unique_survey_responses.sql',
    title: 'Survey responses, deduplicated',
    description: 'One row per (source, event id): redeliveries removed.',
    parameters: [],
  },
  {
    id: 'unique_subscriptions',
    kind: 'view',
    file: 'views/unique_subscriptions.sql',
    title: 'Subscription events, deduplicated',
    description: 'One row per (source, event id): redeliveries removed.',
    parameters: [],
  },
  {
    id: 'account_segments',
    kind: 'view',
    file: 'views/account_segments.sql',
    title: 'Account segments',
    description: "Each account's latest plan and attribute values.",
    parameters: [],
  },
  {
    id: 'subscription_prices',
    kind: 'view',
    file: 'views/subscription_prices.sql',
    title: 'Subscription prices',
    description: 'Each MRR a subscription was priced at, from its event until the next one.',
    parameters: [],
  },
  {
    id: 'subscription_intervals',
    kind: 'view',
    file: 'views/subscription_intervals.sql',
    title: 'Subscription activity intervals',
    description: 'Each uninterrupted run of a subscription, from start to effective cancellation.',
    parameters: [],
  },
  {
    id: 'account_activity',
    kind: 'view',
    file: 'views/account_activity.sql',
    title: 'Account activity runs',
    description: 'Each uninterrupted run of an account being a customer (any subscription active).',
    parameters: [],
  },
];

/** Snapshot tables are named `<prefix><base-36 creation time>_<random>_<view>` in the lake database. */
export const SNAPSHOT_TABLE_PREFIX = 'cs_pulse_snapshot_';

/**
 * The views an aggregation run computes once and keeps for all its queries (SqlEngine.snapshotViews): every view but
 * the `all_*` unions. Each union is read by one view only, the one that removes its duplicates, so a copy of it would
 * be a copy of a copy: the deduplicating view's snapshot reads the files through it in the same single pass.
 */
export const RUN_SNAPSHOT_VIEWS: readonly string[] = VIEWS.map((view) => view.id).filter(
  (id) => !id.startsWith('all_'),
);

/**
 * Of those, the ones Athena materializes as Parquet tables (AthenaSqlEngine.snapshotViews), because many queries of
 * one run read them (churn, revenue, cohorts, survival, the segments of every KPI, the 14 survey KPI queries),
 * instead of scanning the lake again for each query. The survey view too: its KPI queries read only a few dt
 * partitions each, but all of them read today's, which is thousands of small JSON objects until the compaction folds
 * it, and Athena pays a LIST for every projected day and a GET for every object each query touches. One copy a run
 * reads each object once; the churn drivers and ARR at risk read the whole survey history anyway.
 */
export const MATERIALIZED_VIEWS: readonly string[] = [
  'unique_survey_responses',
  'unique_subscriptions',
  'account_segments',
  'subscription_prices',
  'subscription_intervals',
  'account_activity',
];

export const KPI_QUERIES: readonly KpiQuery[] = [
  {
    id: 'nps',
    kind: 'kpi',
    file: 'kpis/surveys.sql',
    columns: surveyColumns('nps'),
    title: 'Net Promoter Score',
    description: '% promoters (9–10) − % detractors (0–6), with the adjusted-Wald 95% interval.',
    parameters: surveyKpiParameters,
    unit: 'score',
    higherIsBetter: true,
    components: ['promoters', 'passives', 'detractors'],
    partitioned: true,
    compares: true,
    rolling: true,
  },
  {
    id: 'ces',
    kind: 'kpi',
    file: 'kpis/surveys.sql',
    columns: surveyColumns('ces'),
    title: 'Customer Effort Score',
    description: 'Mean agreement on the 1–7 CES 2.0 scale, with % easy (5–7) and the distribution.',
    parameters: surveyKpiParameters,
    unit: 'score',
    higherIsBetter: true,
    components: ['pct_easy', 'count_1', 'count_2', 'count_3', 'count_4', 'count_5', 'count_6', 'count_7'],
    partitioned: true,
    compares: true,
    rolling: true,
  },
  {
    id: 'csat',
    kind: 'kpi',
    file: 'kpis/surveys.sql',
    columns: surveyColumns('csat'),
    title: 'Customer Satisfaction',
    description: '% of responses scoring 4–5 on the 1–5 scale, with a Wilson 95% interval.',
    parameters: surveyKpiParameters,
    unit: 'percent',
    higherIsBetter: true,
    components: ['satisfied', 'mean_score'],
    partitioned: true,
    compares: true,
    rolling: true,
  },
  {
    id: 'logo_churn_rate',
    kind: 'kpi',
    file: 'kpis/logo_churn_rate.sql',
    title: 'Logo churn rate',
    description:
      "% of customers active at the period's start who are no longer active at its end (ChartMogul B2B).",
    parameters: [grain, periodFrom, asOf, lowSampleMin],
    unit: 'percent',
    higherIsBetter: false,
    components: ['customers_at_start', 'churned'],
    partitioned: false,
    compares: true,
    rolling: true,
  },
  {
    id: 'mrr',
    kind: 'kpi',
    file: 'kpis/revenue.sql',
    columns: { value: 'mrr_at_end', n: 'accounts' },
    title: 'Monthly recurring revenue',
    description:
      "MRR at the period's end, with its movements: new, expansion, contraction, churned, reactivation (ChartMogul).",
    parameters: [grain, periodFrom, asOf],
    unit: 'currency',
    higherIsBetter: true,
    components: [
      'mrr_at_start',
      'new_mrr',
      'expansion_mrr',
      'contraction_mrr',
      'churned_mrr',
      'reactivation_mrr',
    ],
    partitioned: false,
  },
  {
    id: 'active_accounts',
    kind: 'kpi',
    file: 'kpis/revenue.sql',
    columns: { value: 'accounts_at_end', n: 'accounts' },
    title: 'Active accounts',
    description:
      "Accounts with an active subscription at the period's end, with new, reactivated and churned.",
    parameters: [grain, periodFrom, asOf],
    unit: 'count',
    higherIsBetter: true,
    components: ['accounts_at_start', 'new_accounts', 'reactivated_accounts', 'churned_accounts'],
    partitioned: false,
  },
  {
    id: 'gross_mrr_churn_rate',
    kind: 'kpi',
    file: 'kpis/revenue.sql',
    columns: { value: 'gross_mrr_churn_rate', n: 'accounts_at_start' },
    title: 'Gross MRR churn rate',
    description: "(Churned + contraction MRR) / MRR at the period's start (ChartMogul).",
    parameters: [grain, periodFrom, asOf],
    unit: 'percent',
    higherIsBetter: false,
    components: ['mrr_at_start', 'churned_mrr', 'contraction_mrr'],
    partitioned: false,
  },
  {
    id: 'net_mrr_churn_rate',
    kind: 'kpi',
    file: 'kpis/revenue.sql',
    columns: { value: 'net_mrr_churn_rate', n: 'accounts_at_start' },
    title: 'Net MRR churn rate',
    description:
      "(Churned + contraction − expansion − reactivation MRR) / MRR at the period's start (ChartMogul).",
    parameters: [grain, periodFrom, asOf],
    unit: 'percent',
    higherIsBetter: false,
    components: ['mrr_at_start', 'churned_mrr', 'contraction_mrr', 'expansion_mrr', 'reactivation_mrr'],
    partitioned: false,
  },
  {
    id: 'grr',
    kind: 'kpi',
    file: 'kpis/revenue.sql',
    columns: { value: 'grr', n: 'accounts_at_start' },
    title: 'Gross MRR retention',
    description:
      "(Start − contraction − churned MRR) / start MRR, over the period's starting customers (ChartMogul).",
    parameters: [grain, periodFrom, asOf],
    unit: 'percent',
    higherIsBetter: true,
    components: ['mrr_at_start', 'contraction_mrr', 'churned_mrr'],
    partitioned: false,
  },
  {
    id: 'nrr',
    kind: 'kpi',
    file: 'kpis/revenue.sql',
    columns: { value: 'nrr', n: 'accounts_at_start' },
    title: 'Net MRR retention',
    description:
      "(Start + expansion − contraction − churned MRR) / start MRR, over the period's starting customers (ChartMogul).",
    parameters: [grain, periodFrom, asOf],
    unit: 'percent',
    higherIsBetter: true,
    components: ['mrr_at_start', 'expansion_mrr', 'contraction_mrr', 'churned_mrr'],
    partitioned: false,
  },
];

export const ANALYSIS_QUERIES: readonly RegisteredQuery[] = [
  {
    id: 'cohort_retention',
    kind: 'analysis',
    file: 'analysis/cohort_retention.sql',
    title: 'Monthly logo retention by start cohort',
    description:
      'For each start-month cohort (and segment), the percent of its accounts still active at the end of each month since.',
    parameters: [asOf],
  },
  {
    id: 'revenue_cohort_retention',
    kind: 'analysis',
    file: 'analysis/revenue_cohort_retention.sql',
    title: 'Monthly net MRR retention by start cohort',
    description:
      "For each start-month cohort (and segment), its accounts' MRR at the end of each month since, in percent of their starting MRR (ChartMogul).",
    parameters: [asOf],
  },
  {
    id: 'survival',
    kind: 'analysis',
    file: 'analysis/survival.sql',
    title: 'Kaplan–Meier survival of accounts',
    description:
      'Days from the first subscription start to churn, still-active accounts censored at as of: the Kaplan–Meier ' +
      'curve with a log-log 95% band on Greenwood’s variance, for all accounts and every segment value.',
    parameters: [asOf],
  },
  {
    id: 'logrank',
    kind: 'analysis',
    file: 'analysis/logrank.sql',
    title: 'Log-rank test between the values of each segment key',
    description:
      'Observed and expected churn of each segment value, the log-rank statistic, its degrees of freedom and p-value.',
    parameters: [asOf],
  },
  {
    id: 'churn_drivers',
    kind: 'analysis',
    file: 'analysis/churn_drivers.sql',
    title: 'Churn after a survey response',
    description:
      'Per survey: the churn rate within the horizon by NPS category, CES band or CSAT band, and the AUC of the ' +
      'score as a predictor of that churn (Mann–Whitney with ties, Hanley–McNeil 95% interval); and CES against NPS.',
    parameters: [asOf, horizonDays],
  },
  {
    id: 'arr_at_risk',
    kind: 'analysis',
    file: 'analysis/arr_at_risk.sql',
    title: 'ARR at risk',
    description:
      'MRR × 12 of the active accounts whose latest NPS is a detractor or whose latest CES is high-effort (≤ 3 of 7).',
    parameters: [asOf],
  },
];

/** A compaction statement: the rows of one closed day of a lake table that its Parquet copy does not hold yet. */
export interface CompactionQuery extends RegisteredQuery {
  readonly kind: 'compaction';
  readonly table: LakeTable;
}

const compactedDay: QueryParameter = {
  name: 'dt',
  type: 'varchar',
  description: 'the closed day (dt partition, YYYY-MM-DD) to compact',
};

function compactionQuery(table: LakeTable): CompactionQuery {
  return {
    id: `compact_${table}`,
    kind: 'compaction',
    table,
    file: `compaction/${table}.sql`,
    title: `Compaction of ${table}`,
    description: `The rows of one day of ${table} that ${table}_compacted lacks: what the compaction job appends.`,
    // The same day bounds both sides of the EXCEPT.
    parameters: [compactedDay, compactedDay],
  };
}

export const COMPACTION_QUERIES: readonly CompactionQuery[] = [
  compactionQuery('accounts'),
  compactionQuery('account_attributes'),
  compactionQuery('subscriptions'),
  compactionQuery('survey_responses'),
];

/** The cohort tables the aggregation stores and GET /v1/cohorts/{kind} serves, by kind. */
export const COHORT_KINDS = ['logo', 'revenue'] as const;
export type CohortKind = (typeof COHORT_KINDS)[number];
export const COHORT_QUERY_IDS: Readonly<Record<CohortKind, string>> = {
  logo: 'cohort_retention',
  revenue: 'revenue_cohort_retention',
};

export const ALL_QUERIES: readonly RegisteredQuery[] = [
  ...VIEWS,
  ...KPI_QUERIES,
  ...ANALYSIS_QUERIES,
  ...COMPACTION_QUERIES,
];

/** Where the .sql files are: beside this module, or CS_PULSE_QUERIES_DIR where a bundle copied them. */
export function queriesDirectory(): string {
  return process.env.CS_PULSE_QUERIES_DIR ?? path.dirname(fileURLToPath(import.meta.url));
}

const sqlCache = new Map<string, string>();

/** The query's SQL with `{{database}}` replaced; the database name must be a plain identifier. */
export function renderSql(query: RegisteredQuery, database: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`not a plain database identifier: ${database}`);
  let template = sqlCache.get(query.file);
  if (template === undefined) {
    template = readFileSync(path.join(queriesDirectory(), query.file), 'utf8');
    sqlCache.set(query.file, template);
  }
  return template.replaceAll('{{database}}', database);
}

export function findQuery(id: string): RegisteredQuery | undefined {
  return ALL_QUERIES.find((query) => query.id === id);
}

/** The positional values of a query, picked by name from what the caller knows. */
export function positionalValues(
  query: RegisteredQuery,
  values: Readonly<Record<string, string | number | null>>,
): (string | number | null)[] {
  return query.parameters.map((parameter) => {
    const value = values[parameter.name];
    if (value === undefined) throw new Error(`query ${query.id} needs parameter ${parameter.name}`);
    return value;
  });
}
