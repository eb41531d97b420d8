import type { ColumnDefinition } from './table-definition.js';

/**
 * The columns every normalized table starts with (RowBase in lambdas/lake/table-rows.ts). Timestamps are UTC text
 * `YYYY-MM-DD HH:MM:SS.sss`, which the OpenX JSON SerDe reads as a TIMESTAMP without any time-zone conversion.
 */
export const EVENT_COLUMNS: readonly ColumnDefinition[] = [
  { name: 'source', type: 'string', comment: 'webhook source the event came from' },
  {
    name: 'event_id',
    type: 'string',
    comment: "the sender's event id; (source, event_id) is unique after dedupe",
  },
  { name: 'account_id', type: 'string', comment: 'the customer account' },
  { name: 'occurred_at', type: 'timestamp', comment: 'when the event happened (UTC)' },
  { name: 'received_at', type: 'timestamp', comment: 'when cs-pulse received it (UTC)' },
];
