-- Every one of the account attribute rows (the segment dimensions), wherever it is stored: the Parquet copy of
-- compacted days (account_attributes_compacted) and the fresh JSON-lines rows compaction has not folded in yet
-- (today's, and late arrivals for any day). Between the compaction writing a day and deleting its JSON files (or
-- after a replay) a row can be in both: the views that read this one remove such copies as they remove redeliveries.
-- dt filters prune both sides.
CREATE OR REPLACE VIEW {{database}}.all_account_attributes AS
SELECT source, event_id, account_id, occurred_at, received_at, attribute_key, attribute_value, dt
FROM {{database}}.account_attributes
UNION ALL
SELECT source, event_id, account_id, occurred_at, received_at, attribute_key, attribute_value, dt
FROM {{database}}.account_attributes_compacted
