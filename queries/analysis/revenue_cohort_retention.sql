-- revenue_cohort_retention: net MRR retention by start-month cohort (ChartMogul's cohort net MRR retention), for all
-- accounts (segment_key NULL) and for each segment. An account's cohort is the month its first subscription started;
-- its starting MRR is its new-business MRR, what the subscriptions that started it were priced at when they started.
-- For each cohort and each month k since (k = 0 is the start month), the cohort accounts' MRR at the end of month k
-- (every active subscription of theirs, those added later included) in percent of the cohort's starting MRR: above
-- 100 when expansion and reactivation outweigh contraction and churn. A month is listed once it has ended by
-- "as of"; a cohort whose starting MRR is 0 (free plans) has no percentages. Long format, one row per cell;
-- GET /v1/cohorts/revenue serves it as a table.
-- Parameters: as of (exclusive timestamp).
WITH params AS (
  SELECT CAST(? AS TIMESTAMP) AS as_of
),
known_intervals AS (
  SELECT i.account_id, i.subscription_id, i.started_at,
         CASE WHEN i.ended_at < params.as_of THEN i.ended_at END AS ended_at
  FROM {{database}}.subscription_intervals i
  CROSS JOIN params
  WHERE i.started_at < params.as_of
),
first_starts AS (
  SELECT account_id, min(started_at) AS first_started_at FROM known_intervals GROUP BY account_id
),
cohorts AS (
  -- The price that wins at the first start instant is the one with a non-empty span (see subscription_prices).
  SELECT f.account_id, CAST(date_trunc('month', f.first_started_at) AS DATE) AS cohort, sum(p.mrr) AS starting_mrr
  FROM first_starts f
  JOIN {{database}}.subscription_prices p
    ON p.account_id = f.account_id AND p.priced_from = f.first_started_at
   AND coalesce(p.priced_until, TIMESTAMP '9999-12-31 00:00:00') > p.priced_from
  GROUP BY f.account_id, f.first_started_at
),
cells AS (
  SELECT c.cohort, t.k, c.account_id, c.starting_mrr,
         CAST(c.cohort AS TIMESTAMP) + INTERVAL '1' MONTH * (t.k + 1) AS checked_at
  FROM cohorts c
  CROSS JOIN UNNEST(sequence(0, 240, 1)) AS t(k)
  CROSS JOIN params
  WHERE CAST(c.cohort AS TIMESTAMP) + INTERVAL '1' MONTH * (t.k + 1) <= params.as_of
),
cell_mrr AS (
  -- The account's MRR at the end of month k: the latest price of each of its subscriptions active then, summed.
  SELECT cells.account_id, cells.k, sum(coalesce(p.mrr, 0e0)) AS mrr
  FROM cells
  JOIN known_intervals i
    ON i.account_id = cells.account_id
   AND i.started_at < cells.checked_at AND coalesce(i.ended_at, TIMESTAMP '9999-12-31 00:00:00') > cells.checked_at
  LEFT JOIN {{database}}.subscription_prices p
    ON p.account_id = i.account_id AND p.subscription_id = i.subscription_id
   AND p.priced_from < cells.checked_at AND coalesce(p.priced_until, TIMESTAMP '9999-12-31 00:00:00') >= cells.checked_at
  GROUP BY cells.account_id, cells.k
),
account_cells AS (
  SELECT cells.cohort, cells.k, cells.account_id, cells.starting_mrr, coalesce(m.mrr, 0e0) AS mrr
  FROM cells
  LEFT JOIN cell_mrr m ON m.account_id = cells.account_id AND m.k = cells.k
),
tagged AS (
  SELECT CAST(NULL AS VARCHAR) AS segment_key, CAST(NULL AS VARCHAR) AS segment_value, a.cohort, a.k,
         a.starting_mrr, a.mrr
  FROM account_cells a
  UNION ALL
  SELECT g.segment_key, g.segment_value, a.cohort, a.k, a.starting_mrr, a.mrr
  FROM account_cells a
  JOIN {{database}}.account_segments g ON g.account_id = a.account_id
)
-- Every account of a cohort has a cell for each of the cohort's months, so a cell's count is the cohort's size.
SELECT segment_key, segment_value, cohort, count(*) AS cohort_size, sum(starting_mrr) AS starting_mrr,
       k AS months_since_start, sum(mrr) AS retained_mrr,
       100 * sum(mrr) / sum(starting_mrr) AS retention_pct
FROM tagged
GROUP BY segment_key, segment_value, cohort, k
HAVING sum(starting_mrr) > 0
ORDER BY segment_key NULLS FIRST, segment_value, cohort, months_since_start
