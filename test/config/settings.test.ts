import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSettings, readSettings, SettingsError } from '../../lambdas/config/settings.js';
import { PROJECT_ROOT } from '../../lib/lambda-function.js';

describe('local settings', () => {
  it('has every variable in docs/configuration.md, with its default', async () => {
    const doc = await readFile(path.join(PROJECT_ROOT, 'docs', 'configuration.md'), 'utf8');
    for (const { name, defaultValue } of describeSettings()) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${name}\``));
      expect(row, `${name} is not in docs/configuration.md`).toBeDefined();
      if (
        typeof defaultValue === 'number' ||
        (typeof defaultValue === 'string' && !defaultValue.includes('/'))
      )
        expect(row, `${name}'s default`).toContain(`\`${defaultValue}\``);
    }
  });

  it('stops on a bad value with the variable named', () => {
    expect(() => readSettings({ CS_PULSE_LOW_SAMPLE_MIN: '-1' })).toThrow(SettingsError);
    expect(() => readSettings({ CS_PULSE_CHURN_HORIZON_DAYS: 'ninety' })).toThrow(
      /CS_PULSE_CHURN_HORIZON_DAYS/,
    );
    expect(readSettings({ CS_PULSE_LOW_SAMPLE_MIN: '5' }).CS_PULSE_LOW_SAMPLE_MIN).toBe(5);
  });
});
