-- csat: Customer Satisfaction (Delighted's and Retently's definition): the percent of responses scoring 4 or 5 on
-- the 1–5 scale. Scores on another scale are mapped linearly onto 1–5 first. ci95 is the Wilson score interval for
-- a proportion, which stays inside 0–100 and behaves at small n and at 0 % or 100 %.
-- change = value − the previous period's value in percentage points (same segment; NULL when that period has no
-- responses), and change_significant is the pooled two-proportion z test: |p₁ − p₀| /
-- √(p̄(1 − p̄)(1/n₁ + 1/n₀)) > 1.96 with p̄ = (x₁ + x₀)/(n₁ + n₀). low_sample flags periods with fewer responses than
-- low_sample_min. Grains as in nps.sql: calendar 'month' and 'quarter', or one 'rolling_30d'/'rolling_90d' window.
-- Parameters: grain, first period start (date), as of (exclusive timestamp), low_sample_min, first dt, last dt.
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
  -- Reads one period more than it reports: the first reported period needs its predecessor for `change`.
  SELECT windows.*,
         CASE WHEN rolling THEN as_of - window_length ELSE CAST(period_from AS TIMESTAMP) END AS report_from,
         CASE WHEN rolling THEN as_of - window_length * 2 ELSE CAST(period_from AS TIMESTAMP) - period_length END
           AS read_from
  FROM windows
),
scored AS (
  -- The inner CASE keeps date_trunc from ever seeing a rolling grain, whatever order an engine evaluates branches in.
  SELECT CASE
           WHEN NOT b.rolling THEN CAST(date_trunc(CASE WHEN b.rolling THEN 'day' ELSE b.grain END, r.occurred_at) AS DATE)
           WHEN r.occurred_at >= b.report_from THEN CAST(b.report_from AS DATE)
           ELSE CAST(b.read_from AS DATE)
         END AS period_start,
         r.account_id,
         1 + (r.score - r.scale_min) * 4 / (r.scale_max - r.scale_min) AS score
  FROM {{database}}.unique_survey_responses r
  CROSS JOIN bounds b
  -- The dt bounds are plain parameters so Athena prunes partitions before planning the join.
  WHERE r.dt BETWEEN ? AND ?
    AND r.survey = 'csat'
    AND r.occurred_at >= b.read_from
    AND r.occurred_at < b.as_of
),
tagged AS (
  SELECT period_start, CAST(NULL AS VARCHAR) AS segment_key, CAST(NULL AS VARCHAR) AS segment_value, score
  FROM scored
  UNION ALL
  SELECT s.period_start, g.segment_key, g.segment_value, s.score
  FROM scored s
  JOIN {{database}}.account_segments g ON g.account_id = s.account_id
),
counted AS (
  SELECT period_start, segment_key, segment_value, count(*) AS n, count_if(score >= 4) AS satisfied, avg(score) AS mean
  FROM tagged
  GROUP BY period_start, segment_key, segment_value
),
compared AS (
  SELECT counted.*,
         lag(period_start) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_start,
         lag(n) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_n,
         lag(satisfied) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_satisfied
  FROM counted
),
wilson AS (
  -- A change is against the period just before; a segment silent then has no change.
  SELECT c.*, b.low_sample_min, b.report_from,
         CAST(c.satisfied AS DOUBLE) / c.n AS p, 1.96e0 * 1.96e0 AS z2,
         CAST(c.previous_satisfied AS DOUBLE) / c.previous_n AS previous_p,
         CAST(c.satisfied + c.previous_satisfied AS DOUBLE) / (c.n + c.previous_n) AS pooled_p,
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
       -- Both periods all satisfied (or none): the pooled variance is 0 and the proportions are equal.
       CASE WHEN has_previous THEN
         CASE WHEN pooled_p > 0 AND pooled_p < 1
              THEN abs(p - previous_p) > 1.96e0 * sqrt(pooled_p * (1 - pooled_p) * (1e0 / n + 1e0 / previous_n))
              ELSE false END
       END AS change_significant,
       n < low_sample_min AS low_sample,
       satisfied, mean AS mean_score
FROM wilson
WHERE period_start >= CAST(report_from AS DATE)
ORDER BY period_start, segment_key NULLS FIRST, segment_value
