/**
 * A lake table as data: where its objects live, its columns in Glue (Hive) types, its partition keys and how Athena
 * projects them, and its storage format. The Glue table is generated from this (lib/data-lake.ts); nothing else
 * describes a table's schema on AWS.
 */
export type GlueType =
  | 'string'
  | 'double'
  | 'bigint'
  | 'int'
  | 'boolean'
  | 'timestamp'
  | 'date'
  | `map<${string}>`
  | `struct<${string}>`
  | `array<${string}>`;

export interface ColumnDefinition {
  readonly name: string;
  readonly type: GlueType;
  readonly comment: string;
}

/** How Athena finds a partition's values without a crawler or MSCK REPAIR. */
export type PartitionProjection =
  /** One partition per day; values are `yyyy-MM-dd` from the lake start date to tomorrow (events may run ahead). */
  | { readonly type: 'date' }
  /** A fixed set of values, known at deploy time (the registered webhook sources). */
  | { readonly type: 'enum'; readonly values: readonly string[] };

export interface PartitionKeyDefinition extends ColumnDefinition {
  readonly projection: PartitionProjection;
}

/**
 * - `json-lines`: one JSON object per line, read with the OpenX JSON SerDe (what ingest writes).
 * - `parquet`: compacted tables (a later compaction job writes them under `compacted/<table>/`).
 */
export type TableFormat = 'json-lines' | 'parquet';

export interface LakeTableDefinition {
  /** The Glue table name (snake_case, as queries/ refers to it). */
  readonly name: string;
  readonly description: string;
  /** The key prefix under the bucket, ending with `/`: `tables/accounts/`. */
  readonly prefix: string;
  readonly format: TableFormat;
  readonly columns: readonly ColumnDefinition[];
  /** In key order: `raw/source=<source>/dt=<dt>/` has `source` then `dt`. */
  readonly partitionKeys: readonly PartitionKeyDefinition[];
}

/** The `dt=` partition every lake table has: the UTC date, of receipt (raw) or of the event (tables). */
export function dtPartition(comment: string): PartitionKeyDefinition {
  return { name: 'dt', type: 'string', comment, projection: { type: 'date' } };
}
