import { EVENT_COLUMNS } from './common-columns.js';
import { dtPartition, type LakeTableDefinition } from './table-definition.js';

export const surveyResponsesTable: LakeTableDefinition = {
  name: 'survey_responses',
  description: 'One row per survey.responded event (NPS, CES, CSAT).',
  prefix: 'tables/survey_responses/',
  format: 'json-lines',
  columns: [
    ...EVENT_COLUMNS,
    { name: 'survey', type: 'string', comment: 'nps | ces | csat' },
    { name: 'score', type: 'double', comment: 'the score as given' },
    { name: 'scale_min', type: 'double', comment: 'lowest score of its scale' },
    { name: 'scale_max', type: 'double', comment: 'highest score of its scale' },
    { name: 'respondent_id', type: 'string', comment: 'who answered, when known' },
    { name: 'comment', type: 'string', comment: 'free-text comment' },
    { name: 'touchpoint', type: 'string', comment: 'where the survey was asked (support, onboarding…)' },
  ],
  partitionKeys: [dtPartition('UTC date of occurred_at')],
};
