-- logo_churn_rate: customer churn rate, ChartMogul's standard (B2B) formula. Of the customers active at the period's
-- start (a subscription active before the start and not ended by it), the percent no longer active at its end: their
-- last subscription ended (cancellation effective_at) within the period. A customer who starts and ends within the
-- period is in neither count; one who ends and starts again within it is not churned. Events after "as of" are not
-- yet known, so the current period counts churn up to now. ci95 is the Wilson score interval.
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
known_intervals AS (
  -- What was known as of the cut-off: runs that started before it, open if they ended after it.
  SELECT i.account_id, i.started_at, CASE WHEN i.ended_at < params.as_of THEN i.ended_at END AS ended_at
  FROM {{database}}.subscription_intervals i
  CROSS JOIN params
  WHERE i.started_at < params.as_of
),
account_periods AS (
  SELECT p.period_start, i.account_id,
         max(CASE WHEN i.started_at < p.start_at AND (i.ended_at IS NULL OR i.ended_at > p.start_at) THEN 1 ELSE 0 END)
           AS active_at_start,
         max(CASE WHEN i.started_at < p.end_at AND (i.ended_at IS NULL OR i.ended_at > p.end_at) THEN 1 ELSE 0 END)
           AS active_at_end
  FROM periods p
  JOIN known_intervals i ON i.started_at < p.end_at AND (i.ended_at IS NULL OR i.ended_at > p.start_at)
  GROUP BY p.period_start, i.account_id
),
customers AS (
  SELECT period_start, account_id, active_at_end FROM account_periods WHERE active_at_start = 1
),
tagged AS (
  SELECT period_start, CAST(NULL AS VARCHAR) AS segment_key, CAST(NULL AS VARCHAR) AS segment_value, active_at_end
  FROM customers
  UNION ALL
  SELECT c.period_start, g.segment_key, g.segment_value, c.active_at_end
  FROM customers c
  JOIN {{database}}.account_segments g ON g.account_id = c.account_id
),
counted AS (
  SELECT period_start, segment_key, segment_value, count(*) AS customers_at_start,
         count_if(active_at_end = 0) AS churned
  FROM tagged
  GROUP BY period_start, segment_key, segment_value
),
wilson AS (
  SELECT counted.*, CAST(churned AS DOUBLE) / customers_at_start AS p, customers_at_start AS n, 1.96e0 * 1.96e0 AS z2
  FROM counted
)
SELECT period_start, segment_key, segment_value, n,
       100 * p AS value,
       100 * ((p + z2 / (2 * n)) - sqrt(z2) * sqrt(p * (1 - p) / n + z2 / (4 * n * n))) / (1 + z2 / n) AS ci_low,
       100 * ((p + z2 / (2 * n)) + sqrt(z2) * sqrt(p * (1 - p) / n + z2 / (4 * n * n))) / (1 + z2 / n) AS ci_high,
       customers_at_start, churned
FROM wilson
ORDER BY period_start, segment_key NULLS FIRST, segment_value
