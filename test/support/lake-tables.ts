import type { LakeTable } from '../../lambdas/lake/layout.js';
import { type RawRecord, rawRecordSchema } from '../../lambdas/lake/raw-record.js';
import type { ObjectStore } from '../../lambdas/ports/object-store.js';

/** Every object of one lake table with its parsed JSON-lines rows, in key order. */
export async function tableObjects(
  store: ObjectStore,
  table: LakeTable,
): Promise<{ key: string; body: string; rows: Record<string, unknown>[] }[]> {
  const objects: { key: string; body: string; rows: Record<string, unknown>[] }[] = [];
  for await (const listed of store.listObjects(`tables/${table}/`)) {
    const bytes = await store.getObject(listed.key);
    if (!bytes) continue;
    const body = Buffer.from(bytes).toString('utf8');
    const rows = body
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    objects.push({ key: listed.key, body, rows });
  }
  return objects;
}

/** Every row of one lake table. */
export async function tableRows(store: ObjectStore, table: LakeTable): Promise<Record<string, unknown>[]> {
  return (await tableObjects(store, table)).flatMap((object) => object.rows);
}

/** Every archived raw request. */
export async function rawRecords(store: ObjectStore): Promise<RawRecord[]> {
  const records: RawRecord[] = [];
  for await (const listed of store.listObjects('raw/')) {
    const bytes = await store.getObject(listed.key);
    if (bytes) records.push(rawRecordSchema.parse(JSON.parse(Buffer.from(bytes).toString('utf8'))));
  }
  return records;
}

/** The keys of everything in the lake: to show that a refused request stored nothing. */
export async function lakeKeys(store: ObjectStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const listed of store.listObjects('')) keys.push(listed.key);
  return keys;
}
