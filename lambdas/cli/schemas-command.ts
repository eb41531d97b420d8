import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { genericWebhookJsonSchema, openApiDocument } from '../api/openapi.js';
import type { Command } from './command.js';

/** The published schema files and how each is generated: docs/schemas is written by this and checked by a test. */
export const PUBLISHED_SCHEMAS: Record<string, () => unknown> = {
  'generic-webhook.schema.json': genericWebhookJsonSchema,
  'openapi.json': () => openApiDocument(),
};

export function renderSchema(name: string): string {
  return `${JSON.stringify(PUBLISHED_SCHEMAS[name]!(), null, 2)}\n`;
}

export const schemasCommand: Command = {
  name: 'schemas',
  summary: 'regenerate docs/schemas from the zod schemas',
  usage: `Usage: npm run schemas

Writes the JSON Schema of the generic webhook body and the OpenAPI document into docs/schemas/, generated from the
zod schemas the handlers validate with. A test fails when the committed files are out of date.
`,
  async run(args) {
    parseArgs({ args: [...args], options: {}, strict: true });
    for (const name of Object.keys(PUBLISHED_SCHEMAS)) {
      const file = path.join('docs', 'schemas', name);
      await writeFile(file, renderSchema(name));
      console.log(`wrote ${file}`);
    }
    return 0;
  },
};
