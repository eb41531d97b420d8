-- Revenue KPIs (ChartMogul's standard MRR movements and formulas), all from one pass over each account's state at the
-- start and at the end of each period (now, for the current one). One row per (period, segment) with every movement
-- and every revenue KPI as a column; queries/registry.ts names the column each metric serves:
--   mrr                  = mrr_at_end; mrr_at_start + new + expansion + reactivation − contraction − churned = mrr_at_end
--   active_accounts      = accounts_at_end; accounts_at_start + new + reactivated − churned = accounts_at_end
--   gross_mrr_churn_rate = 100 · (churned + contraction) / mrr_at_start
--   net_mrr_churn_rate   = 100 · (churned + contraction − expansion − reactivation) / mrr_at_start
--   grr                  = 100 · (mrr_at_start − contraction − churned) / mrr_at_start
--   nrr                  = 100 · (mrr_at_start + expansion − contraction − churned) / mrr_at_start
-- The four rates cover the customers active at the start only and are NULL when their MRR at start is 0. accounts
-- counts those active at the start or at the end. docs/kpis.md defines each movement. Amounts are summed as sent, in
-- the one reporting currency (no conversion). No intervals: MRR is counted, not sampled.
-- Parameters: grain ('month' | 'quarter'), first period start (date), as of (exclusive timestamp).
WITH params AS (
  SELECT CAST(? AS VARCHAR) AS grain, CAST(? AS DATE) AS period_from, CAST(? AS TIMESTAMP) AS as_of
),
periods AS (
  SELECT CAST(period_start AS DATE) AS period_start,
         CAST(period_start AS TIMESTAMP) AS start_at,
         least(
           CAST(period_start AS TIMESTAMP) + CASE params.grain WHEN 'quarter' THEN INTERVAL '3' MONTH ELSE INTERVAL '1' MONTH END,
           params.as_of
         ) AS end_at
  FROM params
  CROSS JOIN UNNEST(
    sequence(
      params.period_from,
      CAST(params.as_of AS DATE),
      CASE params.grain WHEN 'quarter' THEN INTERVAL '3' MONTH ELSE INTERVAL '1' MONTH END
    )
  ) AS t(period_start)
  WHERE CAST(period_start AS TIMESTAMP) < params.as_of
),
instants AS (
  -- Each period is looked at twice: at its start and at its end (as of now, for the current period).
  SELECT period_start, 0 AS at_end, start_at AS at FROM periods
  UNION ALL
  SELECT period_start, 1 AS at_end, end_at AS at FROM periods
),
known_intervals AS (
  -- What was known as of the cut-off: runs that started before it, open if they ended after it.
  SELECT i.account_id, i.subscription_id, i.started_at,
         CASE WHEN i.ended_at < params.as_of THEN i.ended_at END AS ended_at
  FROM {{database}}.subscription_intervals i
  CROSS JOIN params
  WHERE i.started_at < params.as_of
),
snapshots AS (
  -- An account's MRR at an instant: the latest price of each of its subscriptions active then, summed. Only
  -- accounts with an active subscription get a row, so a row means "active" exactly as in logo_churn_rate.
  SELECT x.period_start, x.at_end, i.account_id, sum(coalesce(p.mrr, 0e0)) AS mrr
  FROM instants x
  JOIN known_intervals i ON i.started_at < x.at AND coalesce(i.ended_at, TIMESTAMP '9999-12-31 00:00:00') > x.at
  LEFT JOIN {{database}}.subscription_prices p
    ON p.account_id = i.account_id AND p.subscription_id = i.subscription_id
   AND p.priced_from < x.at AND coalesce(p.priced_until, TIMESTAMP '9999-12-31 00:00:00') >= x.at
  GROUP BY x.period_start, x.at_end, i.account_id
),
first_starts AS (
  SELECT account_id, min(started_at) AS first_started_at FROM known_intervals GROUP BY account_id
),
accounts AS (
  -- Every account active at the start or at the end of a period, with its MRR at both (0 when inactive).
  SELECT period_start, account_id,
         max(1 - at_end) AS active_at_start,
         max(at_end) AS active_at_end,
         sum(CASE WHEN at_end = 0 THEN mrr ELSE 0e0 END) AS mrr_at_start,
         sum(CASE WHEN at_end = 1 THEN mrr ELSE 0e0 END) AS mrr_at_end
  FROM snapshots
  GROUP BY period_start, account_id
),
movements AS (
  -- Each account's one movement of the period, comparing its start with its end (docs/kpis.md): new when it had
  -- never been active before the period, reactivation when it had, churn when it is no longer active, expansion
  -- or contraction when active at both and its MRR moved.
  SELECT a.period_start, a.account_id, a.active_at_start, a.active_at_end, a.mrr_at_start, a.mrr_at_end,
         CASE WHEN a.active_at_start = 0 AND f.first_started_at >= p.start_at THEN 1 ELSE 0 END AS is_new,
         CASE WHEN a.active_at_start = 0 AND f.first_started_at < p.start_at THEN 1 ELSE 0 END AS is_reactivated,
         CASE WHEN a.active_at_end = 0 THEN 1 ELSE 0 END AS is_churned,
         CASE WHEN a.active_at_start = 0 AND f.first_started_at >= p.start_at THEN a.mrr_at_end ELSE 0e0 END
           AS new_mrr,
         CASE WHEN a.active_at_start = 0 AND f.first_started_at < p.start_at THEN a.mrr_at_end ELSE 0e0 END
           AS reactivation_mrr,
         CASE WHEN a.active_at_start = 1 AND a.active_at_end = 1 AND a.mrr_at_end > a.mrr_at_start
              THEN a.mrr_at_end - a.mrr_at_start ELSE 0e0 END AS expansion_mrr,
         CASE WHEN a.active_at_start = 1 AND a.active_at_end = 1 AND a.mrr_at_end < a.mrr_at_start
              THEN a.mrr_at_start - a.mrr_at_end ELSE 0e0 END AS contraction_mrr,
         CASE WHEN a.active_at_end = 0 THEN a.mrr_at_start ELSE 0e0 END AS churned_mrr
  FROM accounts a
  JOIN periods p ON p.period_start = a.period_start
  JOIN first_starts f ON f.account_id = a.account_id
),
tagged AS (
  SELECT m.*, CAST(NULL AS VARCHAR) AS segment_key, CAST(NULL AS VARCHAR) AS segment_value
  FROM movements m
  UNION ALL
  SELECT m.*, g.segment_key, g.segment_value
  FROM movements m
  JOIN {{database}}.account_segments g ON g.account_id = m.account_id
),
totals AS (
  SELECT period_start, segment_key, segment_value,
         count(*) AS accounts,
         count_if(active_at_start = 1) AS accounts_at_start,
         count_if(active_at_end = 1) AS accounts_at_end,
         count_if(is_new = 1) AS new_accounts,
         count_if(is_reactivated = 1) AS reactivated_accounts,
         count_if(is_churned = 1) AS churned_accounts,
         sum(mrr_at_start) AS mrr_at_start,
         sum(mrr_at_end) AS mrr_at_end,
         sum(new_mrr) AS new_mrr,
         sum(expansion_mrr) AS expansion_mrr,
         sum(contraction_mrr) AS contraction_mrr,
         sum(churned_mrr) AS churned_mrr,
         sum(reactivation_mrr) AS reactivation_mrr
  FROM tagged
  GROUP BY period_start, segment_key, segment_value
)
SELECT period_start, segment_key, segment_value, accounts,
       accounts_at_start, accounts_at_end, new_accounts, reactivated_accounts, churned_accounts,
       mrr_at_start, mrr_at_end, new_mrr, expansion_mrr, contraction_mrr, churned_mrr, reactivation_mrr,
       CASE WHEN mrr_at_start > 0 THEN 100 * (churned_mrr + contraction_mrr) / mrr_at_start END AS gross_mrr_churn_rate,
       CASE WHEN mrr_at_start > 0
            THEN 100 * (churned_mrr + contraction_mrr - expansion_mrr - reactivation_mrr) / mrr_at_start END
         AS net_mrr_churn_rate,
       CASE WHEN mrr_at_start > 0 THEN 100 * (mrr_at_start - contraction_mrr - churned_mrr) / mrr_at_start END AS grr,
       CASE WHEN mrr_at_start > 0
            THEN 100 * (mrr_at_start + expansion_mrr - contraction_mrr - churned_mrr) / mrr_at_start END
         AS nrr
FROM totals
ORDER BY period_start, segment_key NULLS FIRST, segment_value
