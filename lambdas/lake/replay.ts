import type { ObjectStore, StoredObject } from '../ports/object-store.js';
import { findSource } from '../sources/registry.js';
import { COMPACTED_PREFIX, deliveryKey, RAW_PREFIX, TABLES_PREFIX } from './layout.js';
import { decodeBody, rawRecordSchema } from './raw-record.js';
import { tableObjectsOf } from './table-rows.js';

export interface ReplayOptions {
  /** Each source's mapping options, as the server uses them. */
  readonly sourceOptions: (source: string) => Readonly<Record<string, unknown>>;
  /** Also try bodies that were quarantined (after a mapping fix that makes them valid). @default false */
  readonly includeQuarantined?: boolean;
  /** Called after each raw record, for progress. */
  readonly onProgress?: (done: number) => void;
}

export interface ReplayReport {
  readonly rawRecords: number;
  readonly replayed: number;
  readonly events: number;
  readonly ignored: number;
  readonly skippedQuarantined: number;
  /** Archived bodies that no longer normalize (a source removed, a mapping changed), by reason. */
  readonly failed: { readonly key: string; readonly reason: string }[];
  readonly tableObjectsWritten: number;
  readonly tableObjectsDeleted: number;
  /** Parquet copies of compacted days: made from the old rows, so dropped (the next compaction rebuilds them). */
  readonly compactedObjectsDeleted: number;
}

/**
 * Rebuilds the normalized tables from the raw archive, the source of truth: every accepted body is normalized again
 * with today's sources and mapping, its table objects rewritten under the same keys, and table objects that no
 * archived body produces any more are deleted, as are the Parquet copies of compacted days (they hold the old rows).
 * Running it twice leaves the same bytes.
 */
export async function replayLake(store: ObjectStore, options: ReplayOptions): Promise<ReplayReport> {
  const startedAt = new Date();
  const expected = new Set<string>();
  const failed: { key: string; reason: string }[] = [];
  let rawRecords = 0;
  let replayed = 0;
  let events = 0;
  let ignored = 0;
  let skippedQuarantined = 0;
  let written = 0;
  let batch: StoredObject[] = [];

  for await (const listed of store.listObjects(RAW_PREFIX)) {
    rawRecords += 1;
    const bytes = await store.getObject(listed.key);
    if (!bytes) continue;
    const parsed = rawRecordSchema.safeParse(safeJson(Buffer.from(bytes).toString('utf8')));
    if (!parsed.success) {
      failed.push({ key: listed.key, reason: 'not a raw record' });
      continue;
    }
    const record = parsed.data;
    if (record.status === 'quarantined' && !options.includeQuarantined) {
      skippedQuarantined += 1;
      continue;
    }
    const source = findSource(record.source);
    if (!source) {
      failed.push({ key: listed.key, reason: `unknown source "${record.source}"` });
      continue;
    }
    const receivedAt = new Date(record.received_at);
    const normalized = source.normalize(decodeBody(record), {
      headers: record.headers,
      receivedAt,
      options: options.sourceOptions(source.name),
    });
    if (!normalized.ok) {
      failed.push({ key: listed.key, reason: `${normalized.status}: ${normalized.detail}` });
      continue;
    }
    replayed += 1;
    events += normalized.events.length;
    ignored += normalized.ignored;
    const objects = tableObjectsOf(
      source.name,
      deliveryKey(source.name, record.delivery_id),
      normalized.events,
      receivedAt,
    );
    for (const object of objects) expected.add(object.key);
    batch.push(...objects);
    if (batch.length >= 256) {
      await store.putObjects(batch);
      written += batch.length;
      batch = [];
    }
    options.onProgress?.(rawRecords);
  }
  await store.putObjects(batch);
  written += batch.length;

  // Table objects no archived body produces any more. Ones newer than this replay came from a live server meanwhile.
  const stale: string[] = [];
  for await (const listed of store.listObjects(TABLES_PREFIX)) {
    if (!expected.has(listed.key) && listed.lastModified < startedAt) stale.push(listed.key);
  }
  await store.deleteObjects(stale);
  // The compacted days were copied from the rows this replay just rewrote as JSON: drop the copies, or a changed
  // mapping would count the old and the new rows of those days.
  const compacted: string[] = [];
  for await (const listed of store.listObjects(COMPACTED_PREFIX)) {
    if (listed.lastModified < startedAt) compacted.push(listed.key);
  }
  await store.deleteObjects(compacted);
  return {
    rawRecords,
    replayed,
    events,
    ignored,
    skippedQuarantined,
    failed,
    tableObjectsWritten: written,
    tableObjectsDeleted: stale.length,
    compactedObjectsDeleted: compacted.length,
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
