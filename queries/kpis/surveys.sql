-- Survey KPIs, all three from one pass over the survey responses of each period, for all accounts and for every
-- segment. One row per (period, segment) with each survey's figures as columns (prefixed nps_, ces_, csat_, plus their
-- components); queries/registry.ts names the columns each metric serves, and a metric whose survey has no response in
-- a row has a NULL value there (no point). Scores are read mapped onto the KPI's scale (kpi_score of the view).
--   nps  (Bain & Company, Reichheld; 0–10): promoters score >= 9, passives >= 7, detractors below 7.
--        value = 100 · (promoters − detractors) / responses. ci95 is the adjusted-Wald interval (Rocks 2016, The
--        American Statistician; MeasuringU): add 3 to n and ¾ to the promoters and the detractors, then NPS.adj ±
--        1.96 · √((p.adj + d.adj − (p.adj − d.adj)²) / n.adj), kept within −100..100. change_significant is the test
--        MeasuringU derives from it: |NPS.adj₁ − NPS.adj₀| / √(Var.adj₁/n.adj₁ + Var.adj₀/n.adj₀) > 1.96.
--   ces  (Gartner CES 2.0, "made it easy for me", 1 = strongly disagree … 7 = strongly agree): value = the mean;
--        ci95 = mean ± 1.96 · s / √n (NULL below two responses). Vendors disagree on the headline figure, so the
--        components carry the top-3-box share pct_easy (mapped score >= 5, Delighted's and Simplesat's figure) and
--        count_k, the responses whose mapped score rounds (halves up) to k. change_significant is Welch's test with
--        the normal reference: |m₁ − m₀| / √(s₁²/n₁ + s₀²/n₀) > 1.96 (NULL when a period has fewer than two
--        responses; two periods of identical answers count any difference as significant).
--   csat (Delighted's and Retently's definition, 1–5): value = the percent of responses scoring 4 or 5; ci95 is the
--        Wilson score interval; change_significant is the pooled two-proportion z test: |p₁ − p₀| /
--        √(p̄(1 − p̄)(1/n₁ + 1/n₀)) > 1.96 with p̄ = (x₁ + x₀)/(n₁ + n₀).
-- change = value − the previous period's value (same segment and survey; NULL when that period has no response to
-- the survey). low_sample flags periods with fewer responses than low_sample_min.
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
         r.survey,
         r.kpi_score AS score
  FROM {{database}}.unique_survey_responses r
  CROSS JOIN bounds b
  -- The dt bounds are plain parameters so Athena prunes partitions before planning the join.
  WHERE r.dt BETWEEN ? AND ?
    AND r.survey IN ('nps', 'ces', 'csat')
    AND r.occurred_at >= b.read_from
    AND r.occurred_at < b.as_of
),
tagged AS (
  SELECT period_start, CAST(NULL AS VARCHAR) AS segment_key, CAST(NULL AS VARCHAR) AS segment_value, survey, score
  FROM scored
  UNION ALL
  SELECT s.period_start, g.segment_key, g.segment_value, s.survey, s.score
  FROM scored s
  JOIN {{database}}.account_segments g ON g.account_id = s.account_id
),
counted AS (
  SELECT period_start, segment_key, segment_value,
         count_if(survey = 'nps') AS nps_n,
         count_if(survey = 'nps' AND score >= 9) AS promoters,
         count_if(survey = 'nps' AND score >= 7 AND score < 9) AS passives,
         count_if(survey = 'nps' AND score < 7) AS detractors,
         count_if(survey = 'ces') AS ces_n,
         avg(CASE WHEN survey = 'ces' THEN score END) AS ces_mean,
         stddev_samp(CASE WHEN survey = 'ces' THEN score END) AS ces_sd,
         count_if(survey = 'ces' AND score >= 5) AS ces_easy,
         count_if(survey = 'ces' AND floor(score + 0.5e0) = 1) AS count_1,
         count_if(survey = 'ces' AND floor(score + 0.5e0) = 2) AS count_2,
         count_if(survey = 'ces' AND floor(score + 0.5e0) = 3) AS count_3,
         count_if(survey = 'ces' AND floor(score + 0.5e0) = 4) AS count_4,
         count_if(survey = 'ces' AND floor(score + 0.5e0) = 5) AS count_5,
         count_if(survey = 'ces' AND floor(score + 0.5e0) = 6) AS count_6,
         count_if(survey = 'ces' AND floor(score + 0.5e0) = 7) AS count_7,
         count_if(survey = 'csat') AS csat_n,
         count_if(survey = 'csat' AND score >= 4) AS satisfied,
         avg(CASE WHEN survey = 'csat' THEN score END) AS csat_mean
  FROM tagged
  GROUP BY period_start, segment_key, segment_value
),
statistics AS (
  -- Each survey's figures, NULL where the row has none of its responses (nullif keeps every division defined).
  SELECT counted.*,
         100 * CAST(promoters - detractors AS DOUBLE) / nullif(nps_n, 0) AS nps_value,
         (promoters + 0.75e0) / (nps_n + 3) - (detractors + 0.75e0) / (nps_n + 3) AS nps_adj,
         ((promoters + 0.75e0) / (nps_n + 3) + (detractors + 0.75e0) / (nps_n + 3)
           - power((promoters + 0.75e0) / (nps_n + 3) - (detractors + 0.75e0) / (nps_n + 3), 2)) / (nps_n + 3)
           AS nps_var_adj,
         power(ces_sd, 2) / nullif(ces_n, 0) AS ces_var_mean,
         CAST(satisfied AS DOUBLE) / nullif(csat_n, 0) AS csat_p
  FROM counted
),
compared AS (
  SELECT statistics.*,
         lag(period_start) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_start,
         lag(nps_n) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_nps_n,
         lag(nps_value) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_nps_value,
         lag(nps_adj) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_nps_adj,
         lag(nps_var_adj) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_nps_var_adj,
         lag(ces_n) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_ces_n,
         lag(ces_mean) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_ces_mean,
         lag(ces_var_mean) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_ces_var_mean,
         lag(csat_n) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_csat_n,
         lag(satisfied) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_satisfied,
         lag(csat_p) OVER (PARTITION BY segment_key, segment_value ORDER BY period_start) AS previous_csat_p
  FROM statistics
),
adjacent AS (
  -- A change is against the period just before; a segment silent then, or without that survey's responses, has none.
  SELECT c.*, b.low_sample_min, b.report_from, 1.96e0 * 1.96e0 AS z2,
         c.previous_start IS NOT NULL AND c.previous_start = CASE
           WHEN b.rolling THEN CAST(b.read_from AS DATE)
           ELSE CAST(CAST(c.period_start AS TIMESTAMP) - b.period_length AS DATE)
         END AS has_previous_period
  FROM compared c
  CROSS JOIN bounds b
),
comparable AS (
  SELECT adjacent.*,
         has_previous_period AND previous_nps_n > 0 AS nps_has_previous,
         has_previous_period AND previous_ces_n > 0 AS ces_has_previous,
         has_previous_period AND previous_csat_n > 0 AS csat_has_previous,
         ces_var_mean + previous_ces_var_mean AS ces_var_difference,
         CAST(satisfied + previous_satisfied AS DOUBLE) / nullif(csat_n + previous_csat_n, 0) AS csat_pooled_p
  FROM adjacent
)
SELECT period_start, segment_key, segment_value,
       nps_n,
       nps_value,
       CASE WHEN nps_n > 0 THEN greatest(-100e0, 100 * (nps_adj - 1.96e0 * sqrt(nps_var_adj))) END AS nps_ci_low,
       CASE WHEN nps_n > 0 THEN least(100e0, 100 * (nps_adj + 1.96e0 * sqrt(nps_var_adj))) END AS nps_ci_high,
       CASE WHEN nps_has_previous THEN nps_value - previous_nps_value END AS nps_change,
       CASE WHEN nps_has_previous
            THEN abs(nps_adj - previous_nps_adj) > 1.96e0 * sqrt(nps_var_adj + previous_nps_var_adj) END
         AS nps_change_significant,
       nps_n < low_sample_min AS nps_low_sample,
       promoters, passives, detractors,
       ces_n,
       ces_mean AS ces_value,
       ces_mean - 1.96e0 * ces_sd / sqrt(ces_n) AS ces_ci_low,
       ces_mean + 1.96e0 * ces_sd / sqrt(ces_n) AS ces_ci_high,
       CASE WHEN ces_has_previous THEN ces_mean - previous_ces_mean END AS ces_change,
       -- Two periods of identical answers have no spread: then any difference at all is a real one.
       CASE WHEN ces_has_previous THEN
         CASE WHEN ces_var_difference > 0 THEN abs(ces_mean - previous_ces_mean) > 1.96e0 * sqrt(ces_var_difference)
              WHEN ces_var_difference = 0 THEN ces_mean <> previous_ces_mean END
       END AS ces_change_significant,
       ces_n < low_sample_min AS ces_low_sample,
       100 * CAST(ces_easy AS DOUBLE) / nullif(ces_n, 0) AS pct_easy,
       count_1, count_2, count_3, count_4, count_5, count_6, count_7,
       csat_n,
       100 * csat_p AS csat_value,
       100 * ((csat_p + z2 / (2 * csat_n))
              - sqrt(z2) * sqrt(csat_p * (1 - csat_p) / csat_n + z2 / (4 * csat_n * csat_n)))
         / (1 + z2 / csat_n) AS csat_ci_low,
       100 * ((csat_p + z2 / (2 * csat_n))
              + sqrt(z2) * sqrt(csat_p * (1 - csat_p) / csat_n + z2 / (4 * csat_n * csat_n)))
         / (1 + z2 / csat_n) AS csat_ci_high,
       CASE WHEN csat_has_previous THEN 100 * (csat_p - previous_csat_p) END AS csat_change,
       -- Both periods all satisfied (or none): the pooled variance is 0 and the proportions are equal.
       CASE WHEN csat_has_previous THEN
         CASE WHEN csat_pooled_p > 0 AND csat_pooled_p < 1
              THEN abs(csat_p - previous_csat_p)
                > 1.96e0 * sqrt(csat_pooled_p * (1 - csat_pooled_p) * (1e0 / csat_n + 1e0 / previous_csat_n))
              ELSE false END
       END AS csat_change_significant,
       csat_n < low_sample_min AS csat_low_sample,
       satisfied, csat_mean AS mean_score
FROM comparable
WHERE period_start >= CAST(report_from AS DATE)
ORDER BY period_start, segment_key NULLS FIRST, segment_value
