-- Survey responses with redeliveries removed: one row per (source, event id), the latest received copy (a row that
-- is in both the compacted and the fresh part of all_survey_responses counts once too).
-- A redelivered event always lands in the same dt partition (dt is its occurred date), so ranking within dt keeps
-- the dt filters of the KPI queries prunable through this view.
-- kpi_score is the score mapped linearly onto its KPI's scale (docs/kpis.md): NPS 0–10, CES 1–7, CSAT 1–5, the one
-- definition every KPI and analysis query reads.
CREATE OR REPLACE VIEW {{database}}.unique_survey_responses AS
SELECT source, event_id, account_id, occurred_at, received_at, survey, score, scale_min, scale_max,
       CASE survey
         WHEN 'nps' THEN (score - scale_min) * 10 / (scale_max - scale_min)
         WHEN 'ces' THEN 1 + (score - scale_min) * 6 / (scale_max - scale_min)
         WHEN 'csat' THEN 1 + (score - scale_min) * 4 / (scale_max - scale_min)
       END AS kpi_score,
       respondent_id, comment, touchpoint, dt
FROM (
  SELECT r.*,
         row_number() OVER (PARTITION BY r.dt, r.source, r.event_id ORDER BY r.received_at DESC) AS copy_rank
  FROM {{database}}.all_survey_responses r
) ranked
WHERE copy_rank = 1
