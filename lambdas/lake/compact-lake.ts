import { COMPACTION_QUERIES, positionalValues, renderSql } from '../../queries/registry.js';
import type { ListedObject, ObjectStore } from '../ports/object-store.js';
import type { SqlEngine } from '../ports/sql-engine.js';
import { type LakeTable, partitionDate, partitionOfKey, TABLES_PREFIX } from './layout.js';

export interface CompactOptions {
  readonly engine: SqlEngine;
  readonly lake: ObjectStore;
  readonly now: () => Date;
  /**
   * A JSON file is deleted only when it was last written this long before the run started, so it surely existed,
   * whole, before the statement that copied its rows began. An ingest write takes seconds (the Lambda times out at
   * 15 s); the margin also covers clock skew between the runner and S3's Last-Modified. @default 5 minutes
   */
  readonly settleMs?: number;
  /** Compact at most this many days of each table in one run, oldest first (the rest wait for the next run). */
  readonly maxDaysPerTable?: number;
  /** Before each day is compacted, for progress output. */
  readonly onDay?: (table: LakeTable, dt: string) => void;
}

export interface CompactedDay {
  readonly table: LakeTable;
  readonly dt: string;
  /** Rows appended to the Parquet copy, when the engine tells. */
  readonly rowsAppended: number | undefined;
  readonly filesDeleted: number;
  /** JSON files too fresh to delete this time (the next run takes them). */
  readonly filesKept: number;
}

export interface CompactionReport {
  /** Every day before this one was closed and could be compacted. */
  readonly today: string;
  readonly days: readonly CompactedDay[];
  /** Closed days left for a later run by maxDaysPerTable. */
  readonly deferred: number;
}

const FIVE_MINUTES = 5 * 60_000;

/**
 * Folds each closed day (every `dt` before today, UTC) of every normalized table into its Parquet copy, so queries
 * read a few Parquet files per day instead of one small JSON file per delivery. For each day that still has JSON
 * files: append the rows the copy lacks (queries/compaction/, the same SQL on Athena and DuckDB), then delete the
 * JSON files that existed before that statement began. The `all_<table>` views read the copy plus whatever JSON is
 * left, so nothing is ever missing and a row briefly in both counts once (the views deduplicate).
 *
 * Late data for a compacted day lands as JSON again, is read at once through the views, and is folded in by the next
 * run. The raw archive is never touched: replay rebuilds the JSON, and the copies, from it.
 */
export async function compactLake(options: CompactOptions): Promise<CompactionReport> {
  const startedAt = options.now();
  const today = partitionDate(startedAt);
  const settledBefore = startedAt.getTime() - (options.settleMs ?? FIVE_MINUTES);
  const days: CompactedDay[] = [];
  let deferred = 0;

  for (const query of COMPACTION_QUERIES) {
    const table = query.table;
    const closedDays = [...(await jsonDays(options.lake, table)).keys()].filter((dt) => dt < today).sort();
    const limit = options.maxDaysPerTable ?? closedDays.length;
    deferred += Math.max(0, closedDays.length - limit);
    for (const dt of closedDays.slice(0, limit)) {
      options.onDay?.(table, dt);
      const rowsAppended = await options.engine.appendCompacted(
        table,
        renderSql(query, options.engine.database),
        positionalValues(query, { dt }),
      );
      // Listed after the statement: a file rewritten meanwhile (a redelivery) has a new Last-Modified and stays.
      const files = await listAll(options.lake, `${TABLES_PREFIX}${table}/dt=${dt}/`);
      const settled = files.filter((file) => file.lastModified.getTime() < settledBefore);
      await options.lake.deleteObjects(settled.map((file) => file.key));
      days.push({
        table,
        dt,
        rowsAppended,
        filesDeleted: settled.length,
        filesKept: files.length - settled.length,
      });
    }
  }
  return { today, days, deferred };
}

/** The JSON files of a table, by day. */
async function jsonDays(lake: ObjectStore, table: LakeTable): Promise<Map<string, ListedObject[]>> {
  const byDay = new Map<string, ListedObject[]>();
  for (const file of await listAll(lake, `${TABLES_PREFIX}${table}/`)) {
    const dt = partitionOfKey(file.key);
    if (!dt || !file.key.endsWith('.jsonl')) continue;
    const day = byDay.get(dt);
    if (day) day.push(file);
    else byDay.set(dt, [file]);
  }
  return byDay;
}

async function listAll(lake: ObjectStore, prefix: string): Promise<ListedObject[]> {
  const files: ListedObject[] = [];
  for await (const file of lake.listObjects(prefix)) if (file.key.endsWith('.jsonl')) files.push(file);
  return files;
}
