-- logrank: the log-rank (Mantel–Cox) test of equal survival between the values of each segment key, on the times
-- of survival.sql (days from the first start to churn, still-active accounts censored at as of). One row per segment
-- value: its observed churns O, the expected E = Σ d_t · n_gt / n_t over every churn time t of the key, and the
-- hypergeometric variance V = Σ d_t (n_gt / n_t)(1 − n_gt / n_t)(n_t − d_t)/(n_t − 1). On each row too, the key's test:
--   two values:   statistic = (O − E)² / V of either value (the two are equal), exact;
--   three or more: statistic = Σ (O − E)² / E, Peto's approximation, which never exceeds the exact U'V⁻¹U (so it errs
--                 towards "no difference"); the full covariance inverse is not expressible in portable SQL.
-- degrees of freedom = values − 1, and p_value = P(χ²_df > statistic) from the closed forms in Abramowitz & Stegun
-- 26.4.4 (odd df: 2(1 − Φ(χ)) + 2φ(χ) Σ_{r=1}^{(df−1)/2} χ^{2r−1} / (1·3···(2r−1))) and 26.4.5 (even df:
-- e^{−x/2} Σ_{r=0}^{df/2−1} (x/2)^r / r!), with χ = √x. A key with a single value, or without churn, has no test.
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
group_times AS (
  SELECT g.segment_key, g.segment_value, d.t, count(*) AS leaving, sum(d.churned) AS events
  FROM durations d
  JOIN {{database}}.account_segments g ON g.account_id = d.account_id
  GROUP BY g.segment_key, g.segment_value, d.t
),
churn_times AS (
  SELECT DISTINCT segment_key, t FROM group_times WHERE events > 0
),
grid AS (
  -- Every value of a key at every churn time of the key, plus its own times (they carry the accounts leaving).
  SELECT v.segment_key, v.segment_value, c.t
  FROM (SELECT DISTINCT segment_key, segment_value FROM group_times) v
  JOIN churn_times c ON c.segment_key = v.segment_key
  UNION
  SELECT segment_key, segment_value, t FROM group_times
),
at_risk AS (
  SELECT grid.segment_key, grid.segment_value, grid.t,
         coalesce(g.events, 0) AS events,
         sum(coalesce(g.leaving, 0)) OVER (
           PARTITION BY grid.segment_key, grid.segment_value ORDER BY grid.t DESC
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
         ) AS n_g
  FROM grid
  LEFT JOIN group_times g
    ON g.segment_key = grid.segment_key AND g.segment_value = grid.segment_value AND g.t = grid.t
),
pooled AS (
  SELECT at_risk.*,
         sum(n_g) OVER (PARTITION BY segment_key, t) AS n_t,
         sum(events) OVER (PARTITION BY segment_key, t) AS d_t
  FROM at_risk
),
groups AS (
  SELECT segment_key, segment_value,
         sum(events) AS observed,
         sum(CAST(d_t AS DOUBLE) * n_g / n_t) AS expected,
         sum(CASE WHEN n_t > 1
                  THEN CAST(d_t AS DOUBLE) * n_g * (n_t - n_g) * (n_t - d_t) / (CAST(n_t AS DOUBLE) * n_t * (n_t - 1))
                  ELSE 0e0 END) AS variance
  FROM pooled
  WHERE d_t > 0
  GROUP BY segment_key, segment_value
),
tests AS (
  SELECT segment_key, count(*) - 1 AS df,
         CASE WHEN count(*) = 2
              THEN avg(power(observed - expected, 2) / variance)
              ELSE sum(power(observed - expected, 2) / expected)
         END AS statistic,
         CASE WHEN count(*) = 2 THEN 'log-rank' ELSE 'log-rank (Peto approximation)' END AS method
  FROM groups
  GROUP BY segment_key
  HAVING count(*) >= 2 AND sum(variance) > 0
),
factors AS (
  -- r = 0 … ⌊df/2⌋; ln_factor is ln(2r − 1) for odd df and ln(r) for even df, so the running sum is the log of the
  -- denominator 1·3···(2r−1) or r!.
  SELECT tests.segment_key, tests.df, tests.statistic, s.r,
         CASE WHEN s.r = 0 THEN 0e0 WHEN mod(tests.df, 2) = 1 THEN ln(2 * s.r - 1) ELSE ln(s.r) END AS ln_factor
  FROM tests
  CROSS JOIN UNNEST(sequence(0, tests.df / 2, 1)) AS s(r)
),
terms AS (
  SELECT segment_key, df, statistic, r,
         sum(ln_factor) OVER (PARTITION BY segment_key ORDER BY r ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
           AS ln_denominator
  FROM factors
),
series AS (
  SELECT segment_key, df, statistic,
         sum(CASE
               WHEN statistic <= 0 THEN 0e0
               WHEN mod(df, 2) = 1 AND r >= 1 THEN exp((2 * r - 1) * 0.5e0 * ln(statistic) - ln_denominator)
               WHEN mod(df, 2) = 0 AND r >= 1 AND r < df / 2 THEN exp(r * ln(statistic / 2) - ln_denominator)
               ELSE 0e0
             END) AS total
  FROM terms
  GROUP BY segment_key, df, statistic
),
p_values AS (
  SELECT segment_key,
         CASE
           WHEN statistic <= 0 THEN 1e0
           WHEN mod(df, 2) = 1
             THEN 2 * normal_cdf(0e0, 1e0, -sqrt(statistic)) + 2 * exp(-statistic / 2) / sqrt(2 * pi()) * total
           ELSE exp(-statistic / 2) * (1 + total)
         END AS p_value
  FROM series
)
SELECT g.segment_key, g.segment_value, g.observed, g.expected, g.variance,
       t.method, t.statistic, t.df, least(1e0, p.p_value) AS p_value
FROM groups g
JOIN tests t ON t.segment_key = g.segment_key
JOIN p_values p ON p.segment_key = g.segment_key
ORDER BY g.segment_key, g.segment_value
