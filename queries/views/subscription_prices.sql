-- What each subscription was priced at, and from when until when: one row per started/changed event, from its
-- occurred_at until the subscription's next priced event (NULL while it is the latest). The MRR of a subscription at
-- an instant t is the row with priced_from < t and (priced_until IS NULL OR priced_until >= t): the latest price
-- set strictly before t, the same "strictly before" that subscription_intervals uses for starts. Events at the same
-- instant resolve by arrival, then source and event id, so the last one wins on every engine and the others get an
-- empty span. Cancellations carry no price; whether the subscription is active at t is subscription_intervals' call.
CREATE OR REPLACE VIEW {{database}}.subscription_prices AS
SELECT account_id, subscription_id, mrr, currency, occurred_at AS priced_from,
       lead(occurred_at) OVER (
         PARTITION BY account_id, subscription_id
         ORDER BY occurred_at, received_at, source, event_id
       ) AS priced_until
FROM {{database}}.unique_subscriptions
WHERE event_type <> 'canceled' AND mrr IS NOT NULL
