import type { LakeTable } from './layout.js';

/**
 * The columns of each normalized lake table, in SQL types common to Athena (Glue) and DuckDB. The JSON-lines rows
 * written by table-rows.ts carry exactly these names; `dt` is the partition column, from the key, not the rows.
 */
export type ColumnType = 'varchar' | 'double' | 'timestamp';

export interface ColumnDefinition {
  readonly name: string;
  readonly type: ColumnType;
  readonly comment: string;
}

const base: ColumnDefinition[] = [
  { name: 'source', type: 'varchar', comment: 'webhook source the event came from' },
  {
    name: 'event_id',
    type: 'varchar',
    comment: "the sender's event id; (source, event_id) is unique after dedupe",
  },
  { name: 'account_id', type: 'varchar', comment: 'the customer account' },
  { name: 'occurred_at', type: 'timestamp', comment: 'when the event happened (UTC)' },
  { name: 'received_at', type: 'timestamp', comment: 'when cs-pulse received it (UTC)' },
];

export const TABLE_COLUMNS: Record<LakeTable, readonly ColumnDefinition[]> = {
  accounts: [
    ...base,
    { name: 'name', type: 'varchar', comment: 'account name, when the event carried it' },
    { name: 'plan', type: 'varchar', comment: 'plan, when the event carried it' },
  ],
  account_attributes: [
    ...base,
    { name: 'attribute_key', type: 'varchar', comment: '`plan` or an attribute key: a segment dimension' },
    { name: 'attribute_value', type: 'varchar', comment: 'its value as of occurred_at' },
  ],
  subscriptions: [
    ...base,
    {
      name: 'subscription_id',
      type: 'varchar',
      comment: 'subscription within the account (the account id when single)',
    },
    { name: 'event_type', type: 'varchar', comment: 'started | changed | canceled' },
    {
      name: 'mrr',
      type: 'double',
      comment: 'monthly recurring revenue after the event, major units; NULL when canceled',
    },
    { name: 'currency', type: 'varchar', comment: 'ISO-4217 code' },
    { name: 'effective_at', type: 'timestamp', comment: 'when service ends, for a cancellation (UTC)' },
  ],
  survey_responses: [
    ...base,
    { name: 'survey', type: 'varchar', comment: 'nps | ces | csat' },
    { name: 'score', type: 'double', comment: 'the score as given' },
    { name: 'scale_min', type: 'double', comment: 'lowest score of its scale' },
    { name: 'scale_max', type: 'double', comment: 'highest score of its scale' },
    { name: 'respondent_id', type: 'varchar', comment: 'who answered, when known' },
    { name: 'comment', type: 'varchar', comment: 'free-text comment' },
    { name: 'touchpoint', type: 'varchar', comment: 'where the survey was asked (support, onboarding…)' },
  ],
};
