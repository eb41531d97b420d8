-- Subscription events with redeliveries removed: one row per (source, event id), the latest received copy (a row
-- that is in both the compacted and the fresh part of all_subscriptions counts once too).
-- Ranking within dt keeps dt filters prunable (a redelivered event always has the same occurred date).
CREATE OR REPLACE VIEW {{database}}.unique_subscriptions AS
SELECT source, event_id, account_id, subscription_id, event_type, occurred_at, effective_at, received_at,
       mrr, currency, dt
FROM (
  SELECT s.*,
         row_number() OVER (PARTITION BY s.dt, s.source, s.event_id ORDER BY s.received_at DESC) AS copy_rank
  FROM {{database}}.all_subscriptions s
) ranked
WHERE copy_rank = 1
