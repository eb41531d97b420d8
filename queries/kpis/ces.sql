-- ces: Customer Effort Score (Gartner CES 2.0: "made it easy for me", 1 = strongly disagree … 7 = strongly agree).
-- Scores on another scale are mapped linearly onto 1–7 first. value = the mean; ci95 = mean ± 1.96 · s / √n (normal
-- approximation, NULL below two responses). Because vendors disagree on the headline figure, the components carry
-- both the top-3-box share pct_easy (mapped score >= 5, Delighted's and Simplesat's figure) and the distribution:
-- count_k responses whose mapped score rounds to k (halves up).
-- Parameters: grain ('month' | 'quarter'), first period start (date), as of (exclusive timestamp), first dt, last dt.
WITH params AS (
  SELECT CAST(? AS VARCHAR) AS grain, CAST(? AS DATE) AS period_from, CAST(? AS TIMESTAMP) AS as_of
),
scored AS (
  SELECT CAST(date_trunc(params.grain, r.occurred_at) AS DATE) AS period_start, r.account_id,
         1 + (r.score - r.scale_min) * 6 / (r.scale_max - r.scale_min) AS score
  FROM {{database}}.unique_survey_responses r
  CROSS JOIN params
  -- The dt bounds are plain parameters so Athena prunes partitions before planning the join.
  WHERE r.dt BETWEEN ? AND ?
    AND r.survey = 'ces'
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
)
SELECT period_start, segment_key, segment_value, n,
       mean AS value,
       mean - 1.96e0 * sd / sqrt(n) AS ci_low,
       mean + 1.96e0 * sd / sqrt(n) AS ci_high,
       100 * CAST(easy AS DOUBLE) / n AS pct_easy,
       count_1, count_2, count_3, count_4, count_5, count_6, count_7
FROM summarized
ORDER BY period_start, segment_key NULLS FIRST, segment_value
