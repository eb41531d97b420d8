-- Every one of the subscription event rows, wherever it is stored: the Parquet copy of compacted days
-- (subscriptions_compacted) and the fresh JSON-lines rows compaction has not folded in yet (today's, and late
-- arrivals for any day). Between the compaction writing a day and deleting its JSON files (or after a replay) a row
-- can be in both: the views that read this one remove such copies as they remove redeliveries. dt filters prune both
-- sides.
CREATE OR REPLACE VIEW {{database}}.all_subscriptions AS
SELECT source, event_id, account_id, occurred_at, received_at, subscription_id, event_type, mrr, currency,
       effective_at, dt
FROM {{database}}.subscriptions
UNION ALL
SELECT source, event_id, account_id, occurred_at, received_at, subscription_id, event_type, mrr, currency,
       effective_at, dt
FROM {{database}}.subscriptions_compacted
