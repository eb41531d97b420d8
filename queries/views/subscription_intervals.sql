-- When each subscription was active: one row per uninterrupted run, from the event that made it active to the
-- cancellation that ended it (ended_at NULL while it still runs). A start or change makes a subscription active at
-- its occurred_at; a cancellation ends it at its effective_at (when service stops, ChartMogul's recognition at the
-- end of the final service period). A scheduled cancellation is void when a start or change of the same subscription
-- occurs after it was scheduled and before it takes effect (the customer took it back). Redundant events (a change
-- while active, the second notice of the same cancellation) start or end nothing.
CREATE OR REPLACE VIEW {{database}}.subscription_intervals AS
WITH standing_cancellations AS (
  SELECT c.account_id, c.subscription_id, c.effective_at
  FROM {{database}}.unique_subscriptions c
  WHERE c.event_type = 'canceled'
    AND NOT EXISTS (
      SELECT 1
      FROM {{database}}.unique_subscriptions s
      WHERE s.account_id = c.account_id
        AND s.subscription_id = c.subscription_id
        AND s.event_type <> 'canceled'
        AND s.occurred_at > c.occurred_at
        AND s.occurred_at < c.effective_at
    )
),
transitions AS (
  SELECT account_id, subscription_id, occurred_at AS changed_at, 1 AS active
  FROM {{database}}.unique_subscriptions
  WHERE event_type <> 'canceled'
  UNION ALL
  SELECT account_id, subscription_id, effective_at AS changed_at, 0 AS active
  FROM standing_cancellations
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
