import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

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

/** Every raw record of the archive, parsed. */
export async function rawRecords(lakeRoot: string): Promise<Record<string, any>[]> {
  return [...(await lakeFiles(lakeRoot, 'raw')).entries()].map(([key, text]) => ({
    ...JSON.parse(text),
    _key: key,
  }));
}
