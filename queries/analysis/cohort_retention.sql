-- cohort_retention: logo retention by start-month cohort. An account's cohort is the month its first subscription
-- started. For each cohort and each month k since (k = 0 is the start month), the percent of the cohort's accounts
-- still active at the end of month k; a month is listed once it has ended by "as of". Long format (one row per
-- cell) so analysts can pivot it in any tool.
-- Parameters: as of (exclusive timestamp).
WITH params AS (
  SELECT CAST(? AS TIMESTAMP) AS as_of
),
known_intervals AS (
  SELECT i.account_id, i.started_at, CASE WHEN i.ended_at < params.as_of THEN i.ended_at END AS ended_at
  FROM {{database}}.subscription_intervals i
  CROSS JOIN params
  WHERE i.started_at < params.as_of
),
cohorts AS (
  SELECT account_id, CAST(date_trunc('month', min(started_at)) AS DATE) AS cohort
  FROM known_intervals
  GROUP BY account_id
),
cohort_sizes AS (
  SELECT cohort, count(*) AS cohort_size FROM cohorts GROUP BY cohort
),
cells AS (
  SELECT c.cohort, t.k, c.account_id, CAST(c.cohort AS TIMESTAMP) + INTERVAL '1' MONTH * (t.k + 1) AS checked_at
  FROM cohorts c
  CROSS JOIN UNNEST(sequence(0, 240, 1)) AS t(k)
  CROSS JOIN params
  WHERE CAST(c.cohort AS TIMESTAMP) + INTERVAL '1' MONTH * (t.k + 1) <= params.as_of
),
retained AS (
  SELECT cells.cohort, cells.k, cells.account_id,
         max(CASE WHEN i.started_at < cells.checked_at AND (i.ended_at IS NULL OR i.ended_at > cells.checked_at) THEN 1 ELSE 0 END)
           AS active
  FROM cells
  JOIN known_intervals i ON i.account_id = cells.account_id
  GROUP BY cells.cohort, cells.k, cells.account_id
)
SELECT r.cohort, s.cohort_size, r.k AS months_since_start, sum(r.active) AS retained,
       100 * CAST(sum(r.active) AS DOUBLE) / s.cohort_size AS retention_pct
FROM retained r
JOIN cohort_sizes s ON s.cohort = r.cohort
GROUP BY r.cohort, s.cohort_size, r.k
ORDER BY r.cohort, months_since_start
