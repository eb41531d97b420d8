-- The segments every KPI is sliced by: each account's latest known value of `plan` and of every attribute key.
-- Latest is by the event's own time (senders deliver out of order), then by arrival, then by event id so ties
-- resolve the same way on every engine.
CREATE OR REPLACE VIEW {{database}}.account_segments AS
SELECT account_id, attribute_key AS segment_key, attribute_value AS segment_value
FROM (
  SELECT a.account_id, a.attribute_key, a.attribute_value,
         row_number() OVER (
           PARTITION BY a.account_id, a.attribute_key
           ORDER BY a.occurred_at DESC, a.received_at DESC, a.source DESC, a.event_id DESC
         ) AS recency
  FROM {{database}}.all_account_attributes a
) ranked
WHERE recency = 1
