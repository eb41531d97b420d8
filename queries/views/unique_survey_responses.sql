-- Survey responses with redeliveries removed: one row per (source, event id), the latest received copy (a row that
-- is in both the compacted and the fresh part of all_survey_responses counts once too).
-- A redelivered event always lands in the same dt partition (dt is its occurred date), so ranking within dt keeps
-- the dt filters of the KPI queries prunable through this view.
CREATE OR REPLACE VIEW {{database}}.unique_survey_responses AS
SELECT source, event_id, account_id, occurred_at, received_at, survey, score, scale_min, scale_max,
       respondent_id, comment, touchpoint, dt
FROM (
  SELECT r.*,
         row_number() OVER (PARTITION BY r.dt, r.source, r.event_id ORDER BY r.received_at DESC) AS copy_rank
  FROM {{database}}.all_survey_responses r
) ranked
WHERE copy_rank = 1
