import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { PUBLISHED_SCHEMAS, renderSchema } from '../../lambdas/cli/schemas-command.js';

describe('docs/schemas', () => {
  it.each(Object.keys(PUBLISHED_SCHEMAS))(
    '%s matches the zod schemas (run npm run schemas after changing them)',
    async (name) => {
      expect(await readFile(`docs/schemas/${name}`, 'utf8')).toBe(renderSchema(name));
    },
  );

  it('the generic webhook schema describes the batch limit and the event types', async () => {
    const schema = JSON.parse(await readFile('docs/schemas/generic-webhook.schema.json', 'utf8'));
    const text = JSON.stringify(schema);
    expect(text).toContain('"maxItems":500');
    for (const type of [
      'account.updated',
      'subscription.started',
      'subscription.changed',
      'subscription.canceled',
      'survey.responded',
    ]) {
      expect(text).toContain(`"const":"${type}"`);
    }
  });
});
