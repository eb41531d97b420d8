-- Compaction of one closed day of subscriptions: the day's JSON-lines rows that its Parquet copy does not hold yet.
-- The compaction job (lambdas/lake/compact-lake.ts) appends them to subscriptions_compacted (Athena: INSERT INTO,
-- DuckDB: COPY … FORMAT PARQUET), then deletes the JSON files the statement read. EXCEPT makes a rerun, a replayed
-- day or a late arrival add only rows the copy lacks. Columns in the Glue table's order, dt last (INSERT INTO is
-- positional).
-- Parameters: the day, twice.
SELECT source, event_id, account_id, occurred_at, received_at, subscription_id, event_type, mrr, currency,
       effective_at, dt
FROM {{database}}.subscriptions
WHERE dt = ?
EXCEPT
SELECT source, event_id, account_id, occurred_at, received_at, subscription_id, event_type, mrr, currency,
       effective_at, dt
FROM {{database}}.subscriptions_compacted
WHERE dt = ?
