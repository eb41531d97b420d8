import { EVENT_COLUMNS } from './common-columns.js';
import { dtPartition, type LakeTableDefinition } from './table-definition.js';

export const subscriptionsTable: LakeTableDefinition = {
  name: 'subscriptions',
  description: 'One row per subscription.started, .changed or .canceled event.',
  prefix: 'tables/subscriptions/',
  format: 'json-lines',
  columns: [
    ...EVENT_COLUMNS,
    {
      name: 'subscription_id',
      type: 'string',
      comment: 'subscription within the account (the account id when single)',
    },
    { name: 'event_type', type: 'string', comment: 'started | changed | canceled' },
    {
      name: 'mrr',
      type: 'double',
      comment: 'monthly recurring revenue after the event, major units; NULL when canceled',
    },
    { name: 'currency', type: 'string', comment: 'ISO-4217 code; NULL when canceled' },
    { name: 'effective_at', type: 'timestamp', comment: 'when service ends, for a cancellation (UTC)' },
  ],
  partitionKeys: [dtPartition('UTC date of occurred_at')],
};
