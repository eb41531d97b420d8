import { createHash } from 'node:crypto';

/**
 * The lake's key layout, shared by the local folder and the S3 bucket (docs/lake.md explains each choice).
 *
 *   raw/source=<source>/dt=<received date>/<delivery key>.json        one authentic request body with its metadata
 *   tables/<table>/dt=<event date>/<source>-<delivery key>.jsonl       normalized rows derived from that body
 *   tables/<table>/dt=<event date>/merged-<digest>.jsonl               locally, the rows of many deliveries at once
 *   compacted/<table>/dt=<event date>/<file>.parquet                    closed days of a table, compacted to Parquet
 *
 * Partitions are Hive-style so Athena (partition projection) and DuckDB (hive_partitioning) both prune by `dt`.
 */
export const RAW_PREFIX = 'raw/';
export const TABLES_PREFIX = 'tables/';
/** Where the compaction job (lambdas/lake/compact-lake.ts) keeps the Parquet copy of each table's closed days. */
export const COMPACTED_PREFIX = 'compacted/';

export const LAKE_TABLES = ['accounts', 'account_attributes', 'subscriptions', 'survey_responses'] as const;
export type LakeTable = (typeof LAKE_TABLES)[number];

/** The Glue table (and DuckDB view) of a table's compacted days: `<table>_compacted`. */
export function compactedTableName(table: LakeTable): `${LakeTable}_compacted` {
  return `${table}_compacted`;
}

/** A deterministic key for one delivery: a redelivery of the same (source, delivery id) overwrites it. */
export function deliveryKey(source: string, deliveryId: string): string {
  return createHash('sha256').update(`${source}\n${deliveryId}`).digest('hex').slice(0, 32);
}

/** The UTC calendar date of an instant, as used in every `dt=` partition. */
export function partitionDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}

export function rawObjectKey(source: string, receivedAt: Date, key: string): string {
  return `${RAW_PREFIX}source=${source}/dt=${partitionDate(receivedAt)}/${key}.json`;
}

export function tableObjectKey(table: LakeTable, dt: string, source: string, key: string): string {
  return `${TABLES_PREFIX}${table}/dt=${dt}/${source}-${key}.jsonl`;
}

/** The partition folder of a table file's key, `tables/<table>/dt=<date>`; undefined for any other key. */
export function tablePartitionFolderOf(key: string): string | undefined {
  return /^(tables\/[^/]+\/dt=\d{4}-\d{2}-\d{2})\/[^/]+\.jsonl$/.exec(key)?.[1];
}

/**
 * The local server's file of the rows of many deliveries in one partition (docs/lake.md): named after a digest of its
 * bytes, so a crash recovery that writes the same rows again rewrites the same file.
 */
export function mergedTableObjectKey(partitionFolder: string, digest: string): string {
  return `${partitionFolder}/merged-${digest}.jsonl`;
}

/** Reads `dt=YYYY-MM-DD` back out of a key. */
export function partitionOfKey(key: string): string | undefined {
  return /\/dt=(\d{4}-\d{2}-\d{2})\//.exec(key)?.[1];
}

/**
 * Timestamps in lake rows are UTC text as `YYYY-MM-DD HH:MM:SS.sss`: the form both Athena's JSON SerDe and DuckDB read
 * as a TIMESTAMP without a time-zone conversion.
 */
export function lakeTimestamp(at: Date): string {
  return at.toISOString().replace('T', ' ').replace('Z', '');
}
