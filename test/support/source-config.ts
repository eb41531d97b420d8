import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Writes a cs-pulse config file with the given source options and returns its path, for CS_PULSE_CONFIG. */
export async function sourceConfigFile(sources: Record<string, unknown>): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), 'cs-pulse-config-'));
  const file = path.join(folder, 'cs-pulse.config.json');
  await writeFile(file, JSON.stringify({ sources }));
  return file;
}
