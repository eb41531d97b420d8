-- logo_churn_rate: customer churn rate, ChartMogul's standard (B2B) formula. Of the customers active at the period's
-- start (a subscription active before the start and not ended by it), the percent no longer active at its end: their
-- last subscription ended (cancellation effective_at) within the period. A customer who starts and ends within the
-- period is in neither count; one who ends and starts again within it is not churned. Events after "as of" are not
-- yet known, so the current period counts churn up to now. ci95 is the Wilson score interval.
-- Grains: calendar 'month' and 'quarter'; 'rolling_30d' and 'rolling_90d' are one trailing window ending at as of
-- (period_start = its first day), which is Baremetrics' definition: customers who cancelled in the last 30 days ÷
-- customers active 30 days ago. change = value − the previous period's (or window's) value in percentage points, and
-- change_significant the pooled two-proportion z test at 95 %, as for CSAT; low_sample flags fewer customers at the
-- start than low_sample_min.
-- Parameters: grain, first period start (date), as of (exclusive timestamp), low_sample_min.
WITH params AS (
  SELECT CAST(? AS VARCHAR) AS grain, CAST(? AS DATE) AS period_from, CAST(? AS TIMESTAMP) AS as_of,
         CAST(? AS INTEGER) AS low_sample_min
),
windows AS (
  SELECT grain, period_from, as_of, low_sample_min,
         grain IN ('rolling_30d', 'rolling_90d') AS rolling,
         CASE grain WHEN 'quarter' THEN INTERVAL '3' MONTH ELSE INTERVAL '1' MONTH END AS period_length,
         INTERVAL '1' DAY * CASE grain WHEN 'rolling_90d' THEN 90 ELSE 30 END AS window_length
  FROM params
),
bounds AS (
  SELECT windows.*,
         CASE WHEN rolling THEN as_of - window_length ELSE CAST(period_from AS TIMESTAMP) END AS report_from,
         CASE WHEN rolling THEN as_of - window_length * 2 ELSE CAST(period_from AS TIMESTAMP) - period_length END
           AS read_from
  FROM windows
),
periods AS (
  -- Calendar periods from the one before period_from (its value is the first change's baseline) up to as of.
  SELECT CAST(period_start AS DATE) AS period_start,
         CAST(period_start AS TIMESTAMP) AS start_at,
         least(CAST(period_start AS TIMESTAMP) + b.period_length, b.as_of) AS end_at
  FROM bounds b
  CROSS JOIN UNNEST(sequence(CAST(b.read_from AS DATE), CAST(b.as_of AS DATE), b.period_length)) AS t(period_start)
  WHERE NOT b.rolling
    AND CAST(period_start AS TIMESTAMP) < b.as_of
  UNION ALL
  -- A rolling grain: the window ending at as of (k = 1) and the one before it (k = 2).
  SELECT CAST(b.as_of - b.window_length * t.k AS DATE) AS period_start,
         b.as_of - b.window_length * t.k AS start_at,
         b.as_of - b.window_length * (t.k - 1) AS end_at
  FROM bounds b
  CROSS JOIN UNNEST(sequence(1, 2, 1)) AS t(k)
  WHERE b.rolling
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
  -- An open interval as a far-future end rather than `IS NULL OR`, so the two range conditions can drive the join.
  JOIN known_intervals i ON i.started_at < p.end_at AND coalesce(i.ended_at, TIMESTAMP '9999-12-31 00:00:00') > p.start_at
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
compared AS (
  SELECT counted.*,
         lag(period_start) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_start,
         lag(customers_at_start) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_n,
         lag(churned) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_churned
  FROM counted
),
wilson AS (
  -- A change is against the period just before; a segment with no customers then has no change.
  SELECT c.*, c.customers_at_start AS n, b.low_sample_min, b.report_from,
         CAST(c.churned AS DOUBLE) / c.customers_at_start AS p, 1.96e0 * 1.96e0 AS z2,
         CAST(c.previous_churned AS DOUBLE) / c.previous_n AS previous_p,
         CAST(c.churned + c.previous_churned AS DOUBLE) / (c.customers_at_start + c.previous_n) AS pooled_p,
         c.previous_start = CASE
           WHEN b.rolling THEN CAST(b.read_from AS DATE)
           ELSE CAST(CAST(c.period_start AS TIMESTAMP) - b.period_length AS DATE)
         END AS has_previous
  FROM compared c
  CROSS JOIN bounds b
)
SELECT period_start, segment_key, segment_value, n,
       100 * p AS value,
       100 * ((p + z2 / (2 * n)) - sqrt(z2) * sqrt(p * (1 - p) / n + z2 / (4 * n * n))) / (1 + z2 / n) AS ci_low,
       100 * ((p + z2 / (2 * n)) + sqrt(z2) * sqrt(p * (1 - p) / n + z2 / (4 * n * n))) / (1 + z2 / n) AS ci_high,
       CASE WHEN has_previous THEN 100 * (p - previous_p) END AS change,
       CASE WHEN has_previous THEN
         CASE WHEN pooled_p > 0 AND pooled_p < 1
              THEN abs(p - previous_p) > 1.96e0 * sqrt(pooled_p * (1 - pooled_p) * (1e0 / n + 1e0 / previous_n))
              ELSE false END
       END AS change_significant,
       n < low_sample_min AS low_sample,
       customers_at_start, churned
FROM wilson
WHERE period_start >= CAST(report_from AS DATE)
ORDER BY period_start, segment_key NULLS FIRST, segment_value
