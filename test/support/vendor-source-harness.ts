import { afterEach } from 'vitest';
import { startTestApp, type TestApp } from './local-app.js';
import { sourceConfigFile } from './source-config.js';

/**
 * What every vendor source's test file needs: a test app with the source's secret (and, when a test gives options,
 * a mapping config file holding them), stopped after each test; and a post to the source's endpoint signed as the
 * vendor signs, unless a test passes headers of its own. Call it at the top of a test file.
 */
export function vendorSourceHarness(
  source: string,
  secret: string,
  sign: (secret: string, body: string) => Record<string, string>,
) {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });
  return {
    async start(options: Record<string, unknown> = {}): Promise<TestApp> {
      const env: Record<string, string> = { [`CS_PULSE_SECRET_${source.toUpperCase()}`]: secret };
      if (Object.keys(options).length > 0)
        env.CS_PULSE_CONFIG = await sourceConfigFile({ [source]: options });
      app = await startTestApp({ env });
      return app;
    },
    post(target: TestApp, body: string, headers = sign(secret, body)) {
      return target.post(`/webhooks/${source}`, body, headers);
    },
  };
}
