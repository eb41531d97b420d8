import { EVENT_COLUMNS } from './common-columns.js';
import { dtPartition, type LakeTableDefinition } from './table-definition.js';

export const accountsTable: LakeTableDefinition = {
  name: 'accounts',
  description: 'One row per account.updated event: the name and plan it carried.',
  prefix: 'tables/accounts/',
  format: 'json-lines',
  columns: [
    ...EVENT_COLUMNS,
    { name: 'name', type: 'string', comment: 'account name, when the event carried it' },
    { name: 'plan', type: 'string', comment: 'plan, when the event carried it' },
  ],
  partitionKeys: [dtPartition('UTC date of occurred_at')],
};
