-- nps: Net Promoter Score (Bain & Company, Reichheld) of the survey responses in each period, for all accounts and
-- for every segment. Scores on another scale are mapped linearly onto 0–10 first. Promoters score 9–10, passives
-- 7–8, detractors 0–6 (after mapping: >= 9, >= 7, below 7). value = 100 · (promoters − detractors) / responses.
-- ci95 is the adjusted-Wald interval (Rocks 2016, The American Statistician; MeasuringU): add 3 to n and ¾ to the
-- promoters and the detractors, then NPS.adj ± 1.96 · √((p.adj + d.adj − (p.adj − d.adj)²) / n.adj), the standard
-- error of the difference of two proportions of one multinomial sample, kept within −100..100.
-- change = value − the previous period's value (same segment; NULL when that period has no responses), and
-- change_significant is the two-sample test MeasuringU derives from the same interval: |NPS.adj₁ − NPS.adj₀| /
-- √(Var.adj₁/n.adj₁ + Var.adj₀/n.adj₀) > 1.96. low_sample flags periods with fewer responses than low_sample_min.
-- Grains: 'month' and 'quarter' are calendar periods; 'rolling_30d' and 'rolling_90d' are one window ending at
-- as of (period_start = the window's first day), compared with the window of the same length before it.
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
         (r.score - r.scale_min) * 10 / (r.scale_max - r.scale_min) AS score
  FROM {{database}}.unique_survey_responses r
  CROSS JOIN bounds b
  -- The dt bounds are plain parameters so Athena prunes partitions before planning the join.
  WHERE r.dt BETWEEN ? AND ?
    AND r.survey = 'nps'
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
  SELECT period_start, segment_key, segment_value, count(*) AS n,
         count_if(score >= 9) AS promoters,
         count_if(score >= 7 AND score < 9) AS passives,
         count_if(score < 7) AS detractors
  FROM tagged
  GROUP BY period_start, segment_key, segment_value
),
adjusted AS (
  SELECT counted.*,
         100 * CAST(promoters - detractors AS DOUBLE) / n AS value,
         (promoters + 0.75e0) / (n + 3) - (detractors + 0.75e0) / (n + 3) AS nps_adj,
         ((promoters + 0.75e0) / (n + 3) + (detractors + 0.75e0) / (n + 3)
           - power((promoters + 0.75e0) / (n + 3) - (detractors + 0.75e0) / (n + 3), 2)) / (n + 3) AS var_adj
  FROM counted
),
compared AS (
  SELECT adjusted.*,
         lag(period_start) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_start,
         lag(value) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_value,
         lag(nps_adj) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_nps_adj,
         lag(var_adj) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_var_adj
  FROM adjusted
),
adjacent AS (
  -- A change is against the period just before; a segment silent then has no change.
  SELECT c.*, b.low_sample_min, b.report_from,
         c.previous_start = CASE
           WHEN b.rolling THEN CAST(b.read_from AS DATE)
           ELSE CAST(CAST(c.period_start AS TIMESTAMP) - b.period_length AS DATE)
         END AS has_previous
  FROM compared c
  CROSS JOIN bounds b
)
SELECT period_start, segment_key, segment_value, n,
       value,
       greatest(-100e0, 100 * (nps_adj - 1.96e0 * sqrt(var_adj))) AS ci_low,
       least(100e0, 100 * (nps_adj + 1.96e0 * sqrt(var_adj))) AS ci_high,
       CASE WHEN has_previous THEN value - previous_value END AS change,
       CASE WHEN has_previous THEN abs(nps_adj - previous_nps_adj) > 1.96e0 * sqrt(var_adj + previous_var_adj) END
         AS change_significant,
       n < low_sample_min AS low_sample,
       promoters, passives, detractors
FROM adjacent
WHERE period_start >= CAST(report_from AS DATE)
ORDER BY period_start, segment_key NULLS FIRST, segment_value
