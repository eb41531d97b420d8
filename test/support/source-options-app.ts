import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../../lambdas/ports/clock.js';
import { startTestApp, type TestApp } from './local-app.js';
import { withTempHome } from './temp-home.js';

/** The test app with a mapping config file holding the given source options (`{ "sources": … }`). */
export async function startTestAppWithSourceOptions(
  sources: Record<string, Record<string, unknown>>,
  options: { env?: Record<string, string>; clock?: Clock } = {},
): Promise<TestApp> {
  const temp = await withTempHome();
  const configFile = path.join(temp.root, 'cs-pulse.config.json');
  await writeFile(configFile, JSON.stringify({ sources }));
  const app = await startTestApp({
    ...options,
    home: temp.root,
    env: { ...options.env, CS_PULSE_CONFIG: configFile },
  });
  return {
    ...app,
    async stop() {
      await app.stop();
      await temp.cleanup();
    },
  };
}
