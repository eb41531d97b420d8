import { EVENT_COLUMNS } from './common-columns.js';
import { dtPartition, type LakeTableDefinition } from './table-definition.js';

export const accountAttributesTable: LakeTableDefinition = {
  name: 'account_attributes',
  description: 'One row per attribute (and plan) an account.updated event set: the segment dimensions.',
  prefix: 'tables/account_attributes/',
  format: 'json-lines',
  columns: [
    ...EVENT_COLUMNS,
    { name: 'attribute_key', type: 'string', comment: '`plan` or an attribute key: a segment dimension' },
    { name: 'attribute_value', type: 'string', comment: 'its value as of occurred_at' },
  ],
  partitionKeys: [dtPartition('UTC date of occurred_at')],
};
