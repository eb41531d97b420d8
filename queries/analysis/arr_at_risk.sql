-- arr_at_risk: the annual recurring revenue (MRR × 12) of the accounts that are customers at "as of" and whose latest
-- NPS answer is a detractor's (0–6 after mapping onto 0–10) or whose latest CES answer is high-effort (<= 3 after
-- mapping onto the 1–7 agreement scale, "disagree" in CES 2.0), one row per currency. An account's MRR is the sum,
-- over its subscriptions active at as of, of the MRR of each one's latest start or change event before as of.
-- Also the ARR of all active accounts, so the share at risk can be read beside it.
-- Parameters: as of (exclusive timestamp).
WITH params AS (
  SELECT CAST(? AS TIMESTAMP) AS as_of
),
active AS (
  SELECT DISTINCT i.account_id, i.subscription_id
  FROM {{database}}.subscription_intervals i
  CROSS JOIN params
  WHERE i.started_at < params.as_of AND (i.ended_at IS NULL OR i.ended_at >= params.as_of)
),
priced AS (
  SELECT s.account_id, s.subscription_id, s.mrr, s.currency,
         row_number() OVER (
           PARTITION BY s.account_id, s.subscription_id ORDER BY s.occurred_at DESC, s.received_at DESC, s.event_id DESC
         ) AS recency
  FROM {{database}}.unique_subscriptions s
  CROSS JOIN params
  WHERE s.event_type IN ('started', 'changed') AND s.occurred_at < params.as_of
),
account_mrr AS (
  SELECT a.account_id, p.currency, sum(p.mrr) AS mrr
  FROM active a
  JOIN priced p ON p.account_id = a.account_id AND p.subscription_id = a.subscription_id AND p.recency = 1
  GROUP BY a.account_id, p.currency
),
latest_answers AS (
  SELECT account_id, survey, kpi_score AS score
  FROM (
    SELECT r.account_id, r.survey, r.kpi_score,
           row_number() OVER (PARTITION BY r.account_id, r.survey ORDER BY r.occurred_at DESC, r.event_id DESC) AS recency
    FROM {{database}}.unique_survey_responses r
    CROSS JOIN params
    WHERE r.survey IN ('nps', 'ces') AND r.occurred_at < params.as_of
  ) ranked
  WHERE recency = 1
),
flags AS (
  SELECT account_id,
         max(CASE WHEN survey = 'nps' AND score < 7 THEN 1 ELSE 0 END) AS detractor,
         max(CASE WHEN survey = 'ces' AND score <= 3 THEN 1 ELSE 0 END) AS high_effort
  FROM latest_answers
  GROUP BY account_id
)
SELECT m.currency,
       count_if(coalesce(f.detractor, 0) = 1 OR coalesce(f.high_effort, 0) = 1) AS accounts_at_risk,
       count_if(coalesce(f.detractor, 0) = 1) AS detractor_accounts,
       count_if(coalesce(f.high_effort, 0) = 1) AS high_effort_accounts,
       12 * sum(CASE WHEN coalesce(f.detractor, 0) = 1 OR coalesce(f.high_effort, 0) = 1 THEN m.mrr ELSE 0e0 END)
         AS arr_at_risk,
       count(*) AS active_accounts,
       12 * sum(m.mrr) AS total_arr
FROM account_mrr m
LEFT JOIN flags f ON f.account_id = m.account_id
GROUP BY m.currency
ORDER BY m.currency
