import { accountAttributesTable } from './account-attributes.js';
import { accountsTable } from './accounts.js';
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

/**
 * Every table the Glue database holds. Compacted Parquet tables (format `parquet`, prefix `compacted/<table>/`) are
 * added here when the compaction job exists; the data-lake construct already knows how to declare them.
 */
export function lakeTables(sources: readonly string[]): readonly LakeTableDefinition[] {
  return [rawDeliveriesTable(sources), ...NORMALIZED_TABLES];
}
