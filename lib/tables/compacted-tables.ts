import { COMPACTED_PREFIX } from '../../lambdas/lake/layout.js';
import type { LakeTableDefinition } from './table-definition.js';

/**
 * The Parquet copy of a normalized table's closed days (lambdas/lake/compact-lake.ts): the same columns and `dt`
 * partition under `compacted/<table>/`, written by the compaction job's INSERT INTO and read through the
 * `all_<table>` views together with the fresh JSON rows.
 */
export function compactedTable(table: LakeTableDefinition): LakeTableDefinition {
  return {
    ...table,
    name: `${table.name}_compacted`,
    description: `${table.description} Closed days, compacted to Parquet.`,
    prefix: `${COMPACTED_PREFIX}${table.name}/`,
    format: 'parquet',
  };
}
