import { accountAttributesTable } from './account-attributes.js';
import { accountsTable } from './accounts.js';
import { compactedTable } from './compacted-tables.js';
import { rawDeliveriesTable } from './raw-deliveries.js';
import { subscriptionsTable } from './subscriptions.js';
import { surveyResponsesTable } from './survey-responses.js';
import type { LakeTableDefinition } from './table-definition.js';

/** The normalized tables ingest writes under `tables/` (LAKE_TABLES in lambdas/lake/layout.ts). */
export const NORMALIZED_TABLES: readonly LakeTableDefinition[] = [
  accountsTable,
  accountAttributesTable,
  subscriptionsTable,
  surveyResponsesTable,
];

/** The Parquet copies of the normalized tables' closed days, `<table>_compacted`. */
export const COMPACTED_TABLES: readonly LakeTableDefinition[] = NORMALIZED_TABLES.map(compactedTable);

/** Every table the Glue database holds: the raw archive, the normalized tables and their compacted copies. */
export function lakeTables(sources: readonly string[]): readonly LakeTableDefinition[] {
  return [rawDeliveriesTable(sources), ...NORMALIZED_TABLES, ...COMPACTED_TABLES];
}
