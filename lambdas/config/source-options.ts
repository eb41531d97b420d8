import { readFile } from 'node:fs/promises';
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

/** Reads the config file; a missing default file means "all defaults", a missing named file is an error. */
export async function loadSourceOptions(path: string | undefined): Promise<SourceOptionsLookup> {
  const file = path ?? 'cs-pulse.config.json';
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && path === undefined)
      return parseSourceOptions({});
    throw new SourceOptionsError(`cannot read the config file ${file}: ${(error as Error).message}`);
  }
  try {
    return parseSourceOptions(JSON.parse(text));
  } catch (error) {
    if (error instanceof SourceOptionsError) throw new SourceOptionsError(`${file}: ${error.message}`);
    throw new SourceOptionsError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}
