-- ces: Customer Effort Score (Gartner CES 2.0: "made it easy for me", 1 = strongly disagree … 7 = strongly agree).
-- Scores on another scale are mapped linearly onto 1–7 first. value = the mean; ci95 = mean ± 1.96 · s / √n (normal
-- approximation, NULL below two responses). Because vendors disagree on the headline figure, the components carry
-- both the top-3-box share pct_easy (mapped score >= 5, Delighted's and Simplesat's figure) and the distribution:
-- count_k responses whose mapped score rounds to k (halves up).
-- change = mean − the previous period's mean (same segment; NULL when that period has no responses), and
-- change_significant is Welch's test on the two means with the normal reference: |m₁ − m₀| / √(s₁²/n₁ + s₀²/n₀) > 1.96
-- (NULL when either period has fewer than two responses). low_sample flags periods with fewer responses than
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
         1 + (r.score - r.scale_min) * 6 / (r.scale_max - r.scale_min) AS score
  FROM {{database}}.unique_survey_responses r
  CROSS JOIN bounds b
  -- The dt bounds are plain parameters so Athena prunes partitions before planning the join.
  WHERE r.dt BETWEEN ? AND ?
    AND r.survey = 'ces'
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
summarized AS (
  SELECT period_start, segment_key, segment_value, count(*) AS n, avg(score) AS mean, stddev_samp(score) AS sd,
         count_if(score >= 5) AS easy,
         count_if(floor(score + 0.5e0) = 1) AS count_1,
         count_if(floor(score + 0.5e0) = 2) AS count_2,
         count_if(floor(score + 0.5e0) = 3) AS count_3,
         count_if(floor(score + 0.5e0) = 4) AS count_4,
         count_if(floor(score + 0.5e0) = 5) AS count_5,
         count_if(floor(score + 0.5e0) = 6) AS count_6,
         count_if(floor(score + 0.5e0) = 7) AS count_7
  FROM tagged
  GROUP BY period_start, segment_key, segment_value
),
compared AS (
  SELECT summarized.*,
         lag(period_start) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_start,
         lag(mean) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_mean,
         lag(power(sd, 2) / n) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_var
  FROM summarized
),
adjacent AS (
  -- A change is against the period just before; a segment silent then has no change.
  SELECT c.*, b.low_sample_min, b.report_from,
         c.previous_start = CASE
           WHEN b.rolling THEN CAST(b.read_from AS DATE)
           ELSE CAST(CAST(c.period_start AS TIMESTAMP) - b.period_length AS DATE)
         END AS has_previous,
         power(c.sd, 2) / c.n + c.previous_var AS var_difference
  FROM compared c
  CROSS JOIN bounds b
)
SELECT period_start, segment_key, segment_value, n,
       mean AS value,
       mean - 1.96e0 * sd / sqrt(n) AS ci_low,
       mean + 1.96e0 * sd / sqrt(n) AS ci_high,
       CASE WHEN has_previous THEN mean - previous_mean END AS change,
       -- Two periods of identical answers have no spread: then any difference at all is a real one.
       CASE WHEN has_previous THEN
         CASE WHEN var_difference > 0 THEN abs(mean - previous_mean) > 1.96e0 * sqrt(var_difference)
              WHEN var_difference = 0 THEN mean <> previous_mean END
       END AS change_significant,
       n < low_sample_min AS low_sample,
       100 * CAST(easy AS DOUBLE) / n AS pct_easy,
       count_1, count_2, count_3, count_4, count_5, count_6, count_7
FROM adjacent
WHERE period_start >= CAST(report_from AS DATE)
ORDER BY period_start, segment_key NULLS FIRST, segment_value
