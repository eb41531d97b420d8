import type { LakeTableDefinition } from './table-definition.js';
import { dtPartition } from './table-definition.js';

/**
 * The raw archive (lambdas/lake/raw-record.ts): one JSON object per delivery. The record's own `source` field is not
 * a column because `source` is the partition key with the same value (Hive allows no column with a partition's name).
 */
export function rawDeliveriesTable(sources: readonly string[]): LakeTableDefinition {
  return {
    name: 'raw_deliveries',
    description: 'Every authentic webhook body as received, accepted or quarantined, with its kept headers.',
    prefix: 'raw/',
    format: 'json-lines',
    columns: [
      { name: 'format', type: 'int', comment: 'record format version (1)' },
      { name: 'delivery_id', type: 'string', comment: "the sender's delivery id, or sha256:<body digest>" },
      {
        name: 'received_at',
        type: 'string',
        comment: 'ISO-8601 UTC instant of receipt (from_iso8601_timestamp to compare)',
      },
      { name: 'status', type: 'string', comment: 'accepted | quarantined' },
      {
        name: 'problem',
        type: 'struct<status:int,detail:string>',
        comment: 'why a quarantined body was refused; NULL when accepted',
      },
      {
        name: 'headers',
        type: 'map<string,string>',
        comment: 'the kept request headers, names in lower case',
      },
      { name: 'body_encoding', type: 'string', comment: 'utf8 | base64' },
      { name: 'body', type: 'string', comment: 'the exact signed body (base64 when not UTF-8)' },
    ],
    partitionKeys: [
      {
        name: 'source',
        type: 'string',
        comment: 'webhook source',
        projection: { type: 'enum', values: sources },
      },
      dtPartition('UTC date of receipt'),
    ],
  };
}
