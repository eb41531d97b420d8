-- When each account was a customer: one row per uninterrupted run of at least one active subscription, from the
-- first start to the moment none is active any more (ended_at NULL while one still runs). Overlapping or touching
-- subscription intervals merge (a restart at the very instant of a cancellation is no churn). Queries cut a run at
-- their "as of" themselves: a run that ends at or after it was still open then. Merging before that cut is safe: a
-- later interval can only join a run that was still open at the cut.
CREATE OR REPLACE VIEW {{database}}.account_activity AS
WITH reached AS (
  SELECT account_id, started_at, ended_at,
         max(coalesce(ended_at, TIMESTAMP '9999-12-31 00:00:00')) OVER (
           PARTITION BY account_id ORDER BY started_at, ended_at ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
         ) AS covered_until
  FROM {{database}}.subscription_intervals
),
numbered AS (
  SELECT account_id, started_at, ended_at,
         sum(CASE WHEN covered_until IS NULL OR started_at > covered_until THEN 1 ELSE 0 END) OVER (
           PARTITION BY account_id ORDER BY started_at, ended_at ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
         ) AS run
  FROM reached
)
SELECT account_id, min(started_at) AS started_at,
       CASE WHEN count(*) = count(ended_at) THEN max(ended_at) END AS ended_at
FROM numbered
GROUP BY account_id, run
