-- churn_drivers: does a survey answer foretell churn? For every account and survey type, the account's latest
-- response given while it was a customer and at least horizon_days before "as of" (so its outcome is known), and
-- whether the account stopped being a customer (its activity run, views/account_activity.sql, ended) within
-- horizon_days after that response. Scores are mapped onto each survey's scale first (NPS 0–10, CES 1–7, CSAT 1–5).
-- Rows, told apart by `kind`:
--   'band'       churn by NPS category (promoter 9–10, passive 7–8, detractor 0–6), CES band (low_effort >= 5,
--                neutral above 3 and below 5, high_effort <= 3) or CSAT band (satisfied >= 4, neutral 3 to below 4,
--                dissatisfied below 3): responses, churned, churn_rate (%) with its Wilson 95% interval;
--   'survey'     the same for all of a survey's responses, plus the AUC of the score as a predictor of churn: the
--                probability that a churned account scored lower than a retained one, ties counting one half (the
--                Mann–Whitney U / (n_churned · n_retained)), with Hanley & McNeil's (1982) standard error
--                SE² = (A(1 − A) + (n_c − 1)(Q1 − A²) + (n_r − 1)(Q2 − A²)) / (n_c · n_r), Q1 = A/(2 − A),
--                Q2 = 2A²/(1 + A), and the 95% interval A ± 1.96 · SE kept within 0–1; NULL without both outcomes;
--   'comparison' survey 'ces_vs_nps': auc = AUC(CES) − AUC(NPS), auc_se = √(SE_ces² + SE_nps²) and its interval.
--                Treating the two AUCs as independent overstates the error when the same accounts answered both
--                (their AUCs correlate positively), so the comparison errs towards "no difference".
-- Parameters: as of (exclusive timestamp), horizon in days.
WITH params AS (
  SELECT CAST(? AS TIMESTAMP) AS as_of, CAST(? AS INTEGER) AS horizon_days
),
runs AS (
  SELECT a.account_id, a.started_at, CASE WHEN a.ended_at < params.as_of THEN a.ended_at END AS ended_at
  FROM {{database}}.account_activity a
  CROSS JOIN params
  WHERE a.started_at < params.as_of
),
responses AS (
  SELECT r.account_id, r.event_id, r.survey, r.occurred_at, r.kpi_score AS score
  FROM {{database}}.unique_survey_responses r
  CROSS JOIN params
  WHERE r.survey IN ('nps', 'ces', 'csat')
    AND r.occurred_at < params.as_of - INTERVAL '1' DAY * params.horizon_days
),
observed AS (
  -- The run the account was in when it answered; no run means it was not a customer then and is left out.
  SELECT s.survey, s.score,
         CASE WHEN u.ended_at IS NOT NULL AND u.ended_at <= s.occurred_at + INTERVAL '1' DAY * p.horizon_days
              THEN 1 ELSE 0 END AS churned,
         row_number() OVER (PARTITION BY s.account_id, s.survey ORDER BY s.occurred_at DESC, s.event_id DESC)
           AS recency
  FROM responses s
  JOIN runs u
    ON u.account_id = s.account_id AND u.started_at <= s.occurred_at
   -- An open run as a far-future end rather than `IS NULL OR`: the same meaning, and a join DuckDB can hash.
   AND coalesce(u.ended_at, TIMESTAMP '9999-12-31 00:00:00') > s.occurred_at
  CROSS JOIN params p
),
banded AS (
  SELECT survey, score, churned,
         CASE survey
           WHEN 'nps' THEN CASE WHEN score >= 9 THEN 'promoter' WHEN score >= 7 THEN 'passive' ELSE 'detractor' END
           WHEN 'ces' THEN CASE WHEN score >= 5 THEN 'low_effort' WHEN score > 3 THEN 'neutral' ELSE 'high_effort' END
           ELSE CASE WHEN score >= 4 THEN 'satisfied' WHEN score >= 3 THEN 'neutral' ELSE 'dissatisfied' END
         END AS band
  FROM observed
  WHERE recency = 1
),
rates AS (
  SELECT 'band' AS kind, survey, band, count(*) AS responses, sum(churned) AS churned
  FROM banded
  GROUP BY survey, band
  UNION ALL
  SELECT 'survey' AS kind, survey, CAST(NULL AS VARCHAR) AS band, count(*) AS responses, sum(churned) AS churned
  FROM banded
  GROUP BY survey
),
score_counts AS (
  SELECT survey, score, sum(churned) AS churned, count(*) - sum(churned) AS retained
  FROM banded
  GROUP BY survey, score
),
ranked AS (
  SELECT score_counts.*,
         sum(retained) OVER (PARTITION BY survey ORDER BY score DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
           - retained AS retained_above
  FROM score_counts
),
areas AS (
  SELECT survey, sum(churned) AS n_churned, sum(retained) AS n_retained,
         CASE WHEN sum(churned) > 0 AND sum(retained) > 0
              THEN sum(churned * (retained_above + 0.5e0 * retained)) / (CAST(sum(churned) AS DOUBLE) * sum(retained))
         END AS auc
  FROM ranked
  GROUP BY survey
),
hanley_mcneil AS (
  SELECT survey, auc,
         sqrt((auc * (1 - auc)
               + (n_churned - 1) * (auc / (2 - auc) - auc * auc)
               + (n_retained - 1) * (2 * auc * auc / (1 + auc) - auc * auc))
              / (CAST(n_churned AS DOUBLE) * n_retained)) AS auc_se
  FROM areas
),
comparison AS (
  SELECT 'comparison' AS kind, 'ces_vs_nps' AS survey, CAST(NULL AS VARCHAR) AS band,
         CAST(NULL AS BIGINT) AS responses, CAST(NULL AS BIGINT) AS churned,
         CAST(NULL AS DOUBLE) AS churn_rate, CAST(NULL AS DOUBLE) AS ci_low, CAST(NULL AS DOUBLE) AS ci_high,
         c.auc - n.auc AS auc,
         sqrt(c.auc_se * c.auc_se + n.auc_se * n.auc_se) AS auc_se,
         c.auc - n.auc - 1.96e0 * sqrt(c.auc_se * c.auc_se + n.auc_se * n.auc_se) AS auc_ci_low,
         c.auc - n.auc + 1.96e0 * sqrt(c.auc_se * c.auc_se + n.auc_se * n.auc_se) AS auc_ci_high
  FROM hanley_mcneil c
  JOIN hanley_mcneil n ON n.survey = 'nps'
  WHERE c.survey = 'ces'
),
described AS (
  SELECT r.kind, r.survey, r.band, r.responses, r.churned,
         100 * CAST(r.churned AS DOUBLE) / r.responses AS churn_rate,
         CAST(r.churned AS DOUBLE) / r.responses AS p, 1.96e0 * 1.96e0 AS z2,
         h.auc, h.auc_se
  FROM rates r
  -- Only 'survey' rows carry an AUC. The condition is one equality (NULL for the other rows), so it is a hash join.
  LEFT JOIN hanley_mcneil h ON h.survey = CASE WHEN r.kind = 'survey' THEN r.survey END
)
SELECT kind, survey, band, responses, churned, churn_rate,
       100 * ((p + z2 / (2 * responses)) - sqrt(z2) * sqrt(p * (1 - p) / responses + z2 / (4 * responses * responses)))
         / (1 + z2 / responses) AS ci_low,
       100 * ((p + z2 / (2 * responses)) + sqrt(z2) * sqrt(p * (1 - p) / responses + z2 / (4 * responses * responses)))
         / (1 + z2 / responses) AS ci_high,
       auc, auc_se,
       greatest(0e0, auc - 1.96e0 * auc_se) AS auc_ci_low,
       least(1e0, auc + 1.96e0 * auc_se) AS auc_ci_high
FROM described
UNION ALL
SELECT kind, survey, band, responses, churned, churn_rate, ci_low, ci_high, auc, auc_se, auc_ci_low, auc_ci_high
FROM comparison
ORDER BY kind, survey, band NULLS FIRST
