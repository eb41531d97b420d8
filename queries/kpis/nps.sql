-- nps: Net Promoter Score (Bain & Company, Reichheld) of the survey responses in each period, for all accounts and
-- for every segment. Scores on another scale are mapped linearly onto 0–10 first. Promoters score 9–10, passives
-- 7–8, detractors 0–6 (after mapping: >= 9, >= 7, below 7). value = 100 · (promoters − detractors) / responses.
-- ci95 treats each response as +1/0/−1 (a trinomial mean): value ± 1.96 · 100 · √((p + d − (p − d)²) / n).
-- Parameters: grain ('month' | 'quarter'), first period start (date), as of (exclusive timestamp), first dt, last dt.
WITH params AS (
  SELECT CAST(? AS VARCHAR) AS grain, CAST(? AS DATE) AS period_from, CAST(? AS TIMESTAMP) AS as_of
),
scored AS (
  SELECT CAST(date_trunc(params.grain, r.occurred_at) AS DATE) AS period_start, r.account_id,
         (r.score - r.scale_min) * 10 / (r.scale_max - r.scale_min) AS score
  FROM {{database}}.unique_survey_responses r
  CROSS JOIN params
  -- The dt bounds are plain parameters so Athena prunes partitions before planning the join.
  WHERE r.dt BETWEEN ? AND ?
    AND r.survey = 'nps'
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
  SELECT period_start, segment_key, segment_value, count(*) AS n,
         count_if(score >= 9) AS promoters,
         count_if(score >= 7 AND score < 9) AS passives,
         count_if(score < 7) AS detractors
  FROM tagged
  GROUP BY period_start, segment_key, segment_value
),
shares AS (
  SELECT counted.*, CAST(promoters AS DOUBLE) / n AS p, CAST(detractors AS DOUBLE) / n AS d
  FROM counted
)
SELECT period_start, segment_key, segment_value, n,
       100 * (p - d) AS value,
       100 * (p - d) - 1.96e0 * 100 * sqrt((p + d - power(p - d, 2)) / n) AS ci_low,
       100 * (p - d) + 1.96e0 * 100 * sqrt((p + d - power(p - d, 2)) / n) AS ci_high,
       promoters, passives, detractors
FROM shares
ORDER BY period_start, segment_key NULLS FIRST, segment_value
