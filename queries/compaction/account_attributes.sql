-- Compaction of one closed day of account_attributes: the day's JSON-lines rows that its Parquet copy does not hold
-- yet. The compaction job (lambdas/lake/compact-lake.ts) appends them to account_attributes_compacted (Athena:
-- INSERT INTO, DuckDB: COPY … FORMAT PARQUET), then deletes the JSON files the statement read. EXCEPT makes a rerun,
-- a replayed day or a late arrival add only rows the copy lacks. Columns in the Glue table's order, dt last (INSERT
-- INTO is positional).
-- Parameters: the day, twice.
SELECT source, event_id, account_id, occurred_at, received_at, attribute_key, attribute_value, dt
FROM {{database}}.account_attributes
WHERE dt = ?
EXCEPT
SELECT source, event_id, account_id, occurred_at, received_at, attribute_key, attribute_value, dt
FROM {{database}}.account_attributes_compacted
WHERE dt = ?
