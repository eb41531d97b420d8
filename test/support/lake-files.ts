import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type RawRecord, rawRecordSchema } from '../../lambdas/lake/raw-record.js';

/** Every file under a folder of the local lake, by key (path relative to the lake root). */
export async function lakeFiles(lakeRoot: string, prefix = ''): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(path.join(lakeRoot, prefix), { recursive: true, withFileTypes: true });
  } catch {
    return files;
  }
  for (const entry of entries) {
    if (!entry.isFile() || entry.name.includes('.tmp-')) continue;
    const full = path.join(entry.parentPath, entry.name);
    files.set(path.relative(lakeRoot, full).split(path.sep).join('/'), await readFile(full, 'utf8'));
  }
  return files;
}

/** Every row of one normalized table, from all its JSON-lines files. */
export async function tableRows(lakeRoot: string, table: string): Promise<Record<string, any>[]> {
  const rows: Record<string, any>[] = [];
  for (const [key, text] of await lakeFiles(lakeRoot, `tables/${table}`)) {
    for (const line of text.split('\n')) {
      if (line.trim() !== '') rows.push({ ...JSON.parse(line), _key: key });
    }
  }
  return rows;
}

/**
 * Of the copies of one row (a redelivery is stored again), the latest received, as the views count them: by
 * partition, source, event id and, for attributes, the attribute key. Rows as `tableRows` returns them.
 */
export function latestCopies(rows: readonly Record<string, any>[]): Record<string, any>[] {
  const latest = new Map<string, Record<string, any>>();
  for (const row of rows) {
    const partition = String(row._key).split('/').slice(0, 3).join('/');
    const identity = `${partition}/${row.source}/${row.event_id}/${row.attribute_key ?? ''}`;
    const seen = latest.get(identity);
    if (!seen || seen.received_at < row.received_at) latest.set(identity, row);
  }
  return [...latest.values()];
}

/** Every raw record of the archive, parsed. */
export async function rawRecords(lakeRoot: string): Promise<Record<string, any>[]> {
  return [...(await lakeFiles(lakeRoot, 'raw')).entries()].map(([key, text]) => ({
    ...JSON.parse(text),
    _key: key,
  }));
}

/** Every file under a folder, by path relative to it (with `/`), read byte for byte; on a live folder, those still there when read. */
export async function snapshotFiles(folder: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(folder, { recursive: true, withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return files;
    throw error;
  }
  for (const entry of entries.filter((candidate) => candidate.isFile())) {
    const absolute = path.join(entry.parentPath, entry.name);
    try {
      files.set(path.relative(folder, absolute).split(path.sep).join('/'), await readFile(absolute));
    } catch (error) {
      // A live server renamed (or removed) it since the listing: a temporary file put in place, seen next time.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return new Map([...files.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

export interface TableRow {
  readonly table: string;
  readonly file: string;
  readonly row: Record<string, unknown>;
}

export interface LakeContents {
  readonly raw: (RawRecord & { file: string })[];
  readonly rows: TableRow[];
  /** Files under raw/ and tables/ that are not whole, valid records: a crash must never leave one. */
  readonly broken: string[];
  /** Leftover temporary files of interrupted writes (readers skip them). */
  readonly temporary: string[];
}

/** Reads a lake folder as a reader (replay, DuckDB) sees it: raw records and table rows, file by file. */
export async function readLake(lake: string): Promise<LakeContents> {
  const contents: LakeContents = { raw: [], rows: [], broken: [], temporary: [] };
  for (const [file, bytes] of await snapshotFiles(lake)) {
    if (file.includes('.tmp-')) {
      contents.temporary.push(file);
      continue;
    }
    const text = bytes.toString('utf8');
    if (file.startsWith('raw/')) {
      const parsed = rawRecordSchema.safeParse(parseJson(text));
      if (parsed.success && text.endsWith('\n')) contents.raw.push({ ...parsed.data, file });
      else contents.broken.push(file);
    } else if (file.startsWith('tables/')) {
      const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : undefined;
      const rows = lines?.map(parseJson);
      if (!rows || rows.some((row) => typeof row !== 'object' || row === null)) {
        contents.broken.push(file);
        continue;
      }
      const table = file.split('/')[1]!;
      for (const row of rows) contents.rows.push({ table, file, row: row as Record<string, unknown> });
    }
  }
  return contents;
}

/**
 * What makes a row one fact: an event appears once per table, except account attributes, where one event carries
 * one row per attribute.
 */
export function rowIdentity({ table, row }: TableRow): string {
  const attribute = table === 'account_attributes' ? `/${row.attribute_key}` : '';
  return `${table}/${row.source}/${row.event_id}${attribute}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
