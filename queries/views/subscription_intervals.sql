-- When each subscription was active: one row per uninterrupted run, from the event that made it active to the
-- cancellation that ended it (ended_at NULL while it still runs). A start or change makes a subscription active at
-- its occurred_at; a cancellation ends it at its effective_at (when service stops, ChartMogul's recognition at the
-- end of the final service period). Redundant events (a change while active, a second cancel) start or end nothing.
CREATE OR REPLACE VIEW {{database}}.subscription_intervals AS
WITH transitions AS (
  SELECT account_id, subscription_id,
         CASE WHEN event_type = 'canceled' THEN effective_at ELSE occurred_at END AS changed_at,
         CASE WHEN event_type = 'canceled' THEN 0 ELSE 1 END AS active,
         mrr
  FROM {{database}}.unique_subscriptions
),
ordered AS (
  SELECT account_id, subscription_id, changed_at, active,
         lag(active) OVER (PARTITION BY account_id, subscription_id ORDER BY changed_at, active DESC) AS previous_active
  FROM transitions
),
changes AS (
  SELECT account_id, subscription_id, changed_at, active
  FROM ordered
  WHERE active <> coalesce(previous_active, 0)
)
SELECT account_id, subscription_id, started_at, ended_at
FROM (
  SELECT account_id, subscription_id, active, changed_at AS started_at,
         lead(changed_at) OVER (PARTITION BY account_id, subscription_id ORDER BY changed_at, active DESC) AS ended_at
  FROM changes
) runs
WHERE active = 1
