// Readers of a test home (CS_PULSE_HOME) for the vendor-source tests: rows and raw records by home folder.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** Every file under a folder of the local lake, as paths relative to the lake root ([] when it does not exist). */
export async function lakeFiles(home: string, prefix: string): Promise<string[]> {
  const root = path.join(home, 'lake');
  try {
    const entries = await readdir(path.join(root, prefix), { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * The rows of the survey_responses table as the views count them: of the copies of one event in one partition (a
 * redelivery is stored again), the latest received.
 */
export async function surveyRows(home: string): Promise<Record<string, any>[]> {
  const latest = new Map<string, Record<string, any>>();
  for (const file of await lakeFiles(home, 'tables/survey_responses')) {
    const text = await readFile(path.join(home, 'lake', file), 'utf8');
    const partition = path.dirname(file);
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const row = JSON.parse(line);
      const identity = `${partition}/${row.source}/${row.event_id}`;
      const seen = latest.get(identity);
      if (!seen || seen.received_at < row.received_at) latest.set(identity, row);
    }
  }
  return [...latest.values()];
}

/** The raw records archived for one source. */
export async function rawRecords(home: string, source: string): Promise<Record<string, any>[]> {
  const records: Record<string, any>[] = [];
  for (const file of await lakeFiles(home, `raw/source=${source}`)) {
    records.push(JSON.parse(await readFile(path.join(home, 'lake', file), 'utf8')));
  }
  return records;
}

/** Reads a fixture file's exact bytes as text (vendors sign the bytes they send, so fixtures are sent as stored). */
export function fixture(vendor: string, name: string): Promise<string> {
  return readFile(path.join(import.meta.dirname, '..', 'fixtures', vendor, name), 'utf8');
}
