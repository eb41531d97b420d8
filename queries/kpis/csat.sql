-- csat: Customer Satisfaction (Delighted's and Retently's definition): the percent of responses scoring 4 or 5 on
-- the 1–5 scale. Scores on another scale are mapped linearly onto 1–5 first. ci95 is the Wilson score interval for
-- a proportion, which stays inside 0–100 and behaves at small n and at 0 % or 100 %.
-- Parameters: grain ('month' | 'quarter'), first period start (date), as of (exclusive timestamp), first dt, last dt.
WITH params AS (
  SELECT CAST(? AS VARCHAR) AS grain, CAST(? AS DATE) AS period_from, CAST(? AS TIMESTAMP) AS as_of
),
scored AS (
  SELECT CAST(date_trunc(params.grain, r.occurred_at) AS DATE) AS period_start, r.account_id,
         1 + (r.score - r.scale_min) * 4 / (r.scale_max - r.scale_min) AS score
  FROM {{database}}.unique_survey_responses r
  CROSS JOIN params
  -- The dt bounds are plain parameters so Athena prunes partitions before planning the join.
  WHERE r.dt BETWEEN ? AND ?
    AND r.survey = 'csat'
    AND r.occurred_at >= CAST(params.period_from AS TIMESTAMP)
    AND r.occurred_at < params.as_of
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
wilson AS (
  SELECT counted.*, CAST(satisfied AS DOUBLE) / n AS p, 1.96e0 * 1.96e0 AS z2
  FROM counted
)
SELECT period_start, segment_key, segment_value, n,
       100 * p AS value,
       100 * ((p + z2 / (2 * n)) - sqrt(z2) * sqrt(p * (1 - p) / n + z2 / (4 * n * n))) / (1 + z2 / n) AS ci_low,
       100 * ((p + z2 / (2 * n)) + sqrt(z2) * sqrt(p * (1 - p) / n + z2 / (4 * n * n))) / (1 + z2 / n) AS ci_high,
       satisfied, mean AS mean_score
FROM wilson
ORDER BY period_start, segment_key NULLS FIRST, segment_value
