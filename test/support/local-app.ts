import { readSettings } from '../../lambdas/config/settings.js';
import { type LocalApp, startLocalApp } from '../../lambdas/local/local-app.js';
import type { Clock } from '../../lambdas/ports/clock.js';
import { standardWebhooksHeaders } from './standard-webhooks.js';
import { withTempHome } from './temp-home.js';

export const TEST_GENERIC_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export interface TestApp extends LocalApp {
  post(
    path: string,
    body: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  /** POSTs a body to /webhooks/generic, signed with the test secret (or the given options). */
  postGeneric(
    body: unknown,
    options?: { id?: string; sentAt?: Date; secret?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

/** The real local app on a free loopback port, in a temporary home, with the given environment. */
export async function startTestApp(
  options: { env?: Record<string, string>; clock?: Clock; home?: string } = {},
): Promise<TestApp> {
  const temp = options.home ? undefined : await withTempHome();
  const env = {
    CS_PULSE_HOME: options.home ?? temp!.root,
    PORT: '0',
    HOST: '127.0.0.1',
    CS_PULSE_SECRET_GENERIC: TEST_GENERIC_SECRET,
    CS_PULSE_AGGREGATE_INTERVAL_SECONDS: '0',
    ...options.env,
  };
  const app = await startLocalApp({
    settings: readSettings(env),
    env,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const post: TestApp['post'] = async (path, body, headers = {}) => {
    const response = await fetch(`${app.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    const text = await response.text();
    // The server writes table rows at its journal checkpoints (docs/lake.md, Durability); tests read the lake as a
    // reader would after the next one.
    if (path.startsWith('/webhooks/')) await app.store.sync();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: response.status, body: parsed, headers: response.headers };
  };
  return {
    ...app,
    post,
    postGeneric(body, postOptions = {}) {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const signed = standardWebhooksHeaders(postOptions.secret ?? TEST_GENERIC_SECRET, text, postOptions);
      return post('/webhooks/generic', text, { ...signed, ...postOptions.headers });
    },
    async stop() {
      await app.close();
      await temp?.cleanup();
    },
  };
}
