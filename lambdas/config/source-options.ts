import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { WEBHOOK_SOURCES } from '../sources/registry.js';

/**
 * The mapping configuration file (docs/sources.md): `{ "sources": { "<source>": { …options } } }`. Each source's
 * section is parsed with that source's own schema, defaults filled in, when the process starts.
 */
const configFileSchema = z
  .object({
    $schema: z.string().optional(),
    sources: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  })
  .strict();

export type SourceOptionsLookup = (source: string) => Readonly<Record<string, unknown>>;

export class SourceOptionsError extends Error {}

/** Parses a config object into every source's options; throws SourceOptionsError naming each bad option. */
export function parseSourceOptions(config: unknown): SourceOptionsLookup {
  const file = configFileSchema.safeParse(config ?? {});
  if (!file.success) {
    throw new SourceOptionsError(
      `invalid config: ${file.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const known = new Set(WEBHOOK_SOURCES.map((source) => source.name));
  const unknown = Object.keys(file.data.sources).filter((name) => !known.has(name));
  if (unknown.length > 0) throw new SourceOptionsError(`config names unknown sources: ${unknown.join(', ')}`);
  const parsed = new Map<string, Readonly<Record<string, unknown>>>();
  const problems: string[] = [];
  for (const source of WEBHOOK_SOURCES) {
    const section = file.data.sources[source.name] ?? {};
    if (!source.optionsSchema) {
      parsed.set(source.name, section);
      continue;
    }
    const result = source.optionsSchema.safeParse(section);
    if (result.success) parsed.set(source.name, result.data as Record<string, unknown>);
    else
      problems.push(
        ...result.error.issues.map((i) => `sources.${source.name}.${i.path.join('.')}: ${i.message}`),
      );
  }
  if (problems.length > 0)
    throw new SourceOptionsError(`invalid source options:\n  ${problems.join('\n  ')}`);
  return (source) => parsed.get(source) ?? {};
}

/** The mapping file read when CS_PULSE_CONFIG names none: in the working directory. */
export const DEFAULT_CONFIG_FILE = 'cs-pulse.config.json';

/**
 * The mapping files a local command (npm start, npm run replay) reads when CS_PULSE_CONFIG names none: the working
 * directory's, else the home's (where `npm run demo -- --vendors` writes its mapping), so a later start or replay of
 * a home maps its webhooks as they were mapped when they arrived.
 */
export function localConfigFiles(homeRoot: string): readonly string[] {
  return [DEFAULT_CONFIG_FILE, join(homeRoot, DEFAULT_CONFIG_FILE)];
}

/**
 * Reads the config file CS_PULSE_CONFIG names (it must exist), or else the first of the default files that exists;
 * with none, every source takes its defaults.
 */
export async function loadSourceOptions(
  path: string | undefined,
  defaultFiles: readonly string[] = [DEFAULT_CONFIG_FILE],
): Promise<SourceOptionsLookup> {
  for (const file of path === undefined ? defaultFiles : [path]) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      // A default file may be missing: the next one, or no options at all. A named one must be there.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && path === undefined) continue;
      throw new SourceOptionsError(`cannot read the config file ${file}: ${(error as Error).message}`);
    }
    try {
      return parseSourceOptions(JSON.parse(text));
    } catch (error) {
      if (error instanceof SourceOptionsError) throw new SourceOptionsError(`${file}: ${error.message}`);
      throw new SourceOptionsError(`${file} is not valid JSON: ${(error as Error).message}`);
    }
  }
  return parseSourceOptions({});
}
