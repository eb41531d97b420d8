-- cohort_retention: logo retention by start-month cohort, for all accounts (segment_key NULL) and for each segment.
-- An account's cohort is the month its first subscription started. For each cohort and each month k since (k = 0 is
-- the start month), the percent of the cohort's accounts still active at the end of month k, so the first cell is
-- below 100 when accounts leave within their first month; a month is listed once it has ended by "as of". Long
-- format (one row per cell) so analysts can pivot it in any tool; GET /v1/cohorts/logo serves it as a table.
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
),
tagged AS (
  SELECT CAST(NULL AS VARCHAR) AS segment_key, CAST(NULL AS VARCHAR) AS segment_value, r.cohort, r.k, r.active
  FROM retained r
  UNION ALL
  SELECT g.segment_key, g.segment_value, r.cohort, r.k, r.active
  FROM retained r
  JOIN {{database}}.account_segments g ON g.account_id = r.account_id
)
-- Every account of a cohort has a cell for each of the cohort's months, so a cell's count is the cohort's size.
SELECT segment_key, segment_value, cohort, count(*) AS cohort_size, k AS months_since_start,
       count_if(active = 1) AS retained,
       100 * CAST(count_if(active = 1) AS DOUBLE) / count(*) AS retention_pct
FROM tagged
GROUP BY segment_key, segment_value, cohort, k
ORDER BY segment_key NULLS FIRST, segment_value, cohort, months_since_start
