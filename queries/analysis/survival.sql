-- survival: Kaplan–Meier survival of accounts, for all accounts (segment_key NULL) and for every segment value.
-- An account's time is the whole days (UTC calendar dates) from the start of its first subscription to its churn:
-- the end of its last activity run (views/account_activity.sql), when that ended before "as of". An account still a
-- customer at as of is censored there. A restart after a churn keeps the account alive: it is censored, not churned.
-- One row per distinct time in each group (a churn, a censoring or both), with
--   at_risk   accounts whose time is t or later (censored at t count as at risk at t, the usual convention),
--   survival  Ŝ(t) = Π over times u <= t of (1 − events(u) / at_risk(u)),
--   ci_low/ci_high  the 95% band on the log-log scale (Kalbfleisch & Prentice) with Greenwood's variance:
--             Ŝ^exp(±1.96 · √(Σ d / (n (n − d))) / |ln Ŝ|); NULL where Ŝ is 1 or 0 (the band is undefined there),
--   median_days  the first t where Ŝ(t) <= 0.5 (NULL while the curve stays above one half), the same on every row.
-- Parameters: as of (exclusive timestamp).
WITH params AS (
  SELECT CAST(? AS TIMESTAMP) AS as_of
),
runs AS (
  SELECT a.account_id, a.started_at, CASE WHEN a.ended_at < params.as_of THEN a.ended_at END AS ended_at
  FROM {{database}}.account_activity a
  CROSS JOIN params
  WHERE a.started_at < params.as_of
),
lifetimes AS (
  SELECT account_id, min(started_at) AS first_started_at,
         CASE WHEN count(*) = count(ended_at) THEN max(ended_at) END AS churned_at
  FROM runs
  GROUP BY account_id
),
durations AS (
  SELECT l.account_id,
         date_diff('day', CAST(l.first_started_at AS DATE), CAST(coalesce(l.churned_at, params.as_of) AS DATE)) AS t,
         CASE WHEN l.churned_at IS NULL THEN 0 ELSE 1 END AS churned
  FROM lifetimes l
  CROSS JOIN params
),
tagged AS (
  SELECT CAST(NULL AS VARCHAR) AS segment_key, CAST(NULL AS VARCHAR) AS segment_value, t, churned
  FROM durations
  UNION ALL
  SELECT g.segment_key, g.segment_value, d.t, d.churned
  FROM durations d
  JOIN {{database}}.account_segments g ON g.account_id = d.account_id
),
times AS (
  SELECT segment_key, segment_value, t, count(*) AS leaving, sum(churned) AS events,
         count(*) - sum(churned) AS censored
  FROM tagged
  GROUP BY segment_key, segment_value, t
),
risk AS (
  SELECT times.*,
         sum(leaving) OVER (
           PARTITION BY segment_key, segment_value ORDER BY t DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
         ) AS at_risk,
         sum(leaving) OVER (PARTITION BY segment_key, segment_value) AS accounts,
         sum(events) OVER (PARTITION BY segment_key, segment_value) AS churned_accounts
  FROM times
),
products AS (
  -- The product as a sum of logarithms; a step to zero (every account at risk churns) is counted apart, since
  -- ln 0 is an error in one engine and −∞ in the other.
  SELECT risk.*,
         sum(CASE WHEN events = at_risk THEN 1 ELSE 0 END) OVER (
           PARTITION BY segment_key, segment_value ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
         ) AS extinct,
         sum(CASE WHEN events > 0 AND events < at_risk THEN ln(1 - CAST(events AS DOUBLE) / at_risk) ELSE 0e0 END) OVER (
           PARTITION BY segment_key, segment_value ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
         ) AS log_survival,
         sum(CASE WHEN events > 0 AND events < at_risk THEN CAST(events AS DOUBLE) / (at_risk * (at_risk - events)) ELSE 0e0 END) OVER (
           PARTITION BY segment_key, segment_value ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
         ) AS greenwood
  FROM risk
),
curves AS (
  SELECT products.*,
         CASE WHEN extinct > 0 THEN 0e0 ELSE exp(log_survival) END AS survival,
         CASE WHEN extinct = 0 AND log_survival < 0 THEN 1.96e0 * sqrt(greenwood) / abs(log_survival) END AS band
  FROM products
)
SELECT segment_key, segment_value, t, at_risk, events, censored, survival,
       power(survival, exp(band)) AS ci_low,
       power(survival, exp(-band)) AS ci_high,
       accounts, churned_accounts,
       min(CASE WHEN survival <= 0.5e0 THEN t END) OVER (PARTITION BY segment_key, segment_value) AS median_days
FROM curves
ORDER BY segment_key NULLS FIRST, segment_value NULLS FIRST, t
