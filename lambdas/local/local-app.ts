import type { Server } from 'node:http';
import { LocalDiskObjectStore } from '../adapters/local-disk-object-store.js';
import type { Settings } from '../config/settings.js';
import { loadSourceOptions } from '../config/source-options.js';
import { handler as healthHandler } from '../handlers/health.js';
import { createIngestWebhookHandler } from '../handlers/ingest-webhook.js';
import type { IngestDependencies } from '../ingest/ingest-webhook.js';
import { type Clock, systemClock } from '../ports/clock.js';
import { WEBHOOK_SOURCES } from '../sources/registry.js';
import { ensureGenericSecret, type LocalHome, localHome, localSecrets } from './home.js';
import { createLocalServer, type HttpLambdaHandler, listen } from './http-server.js';

export interface LocalApp {
  readonly url: string;
  readonly home: LocalHome;
  readonly server: Server;
  readonly store: LocalDiskObjectStore;
  readonly genericSecret: { secret: string; origin: 'environment' | 'generated' | 'file' };
  close(): Promise<void>;
}

export interface LocalAppOptions {
  readonly settings: Settings;
  readonly clock?: Clock;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * `npm start`: the embedded runtime. The lake is a folder with the bucket's layout, writes are journaled with group
 * commit, and the HTTP server calls the same handlers API Gateway invokes on AWS.
 */
export async function startLocalApp(options: LocalAppOptions): Promise<LocalApp> {
  const { settings } = options;
  const clock = options.clock ?? systemClock;
  const env = options.env ?? process.env;
  const home = localHome(settings.CS_PULSE_HOME);
  const genericSecret = await ensureGenericSecret(home, env);
  const store = await LocalDiskObjectStore.open({
    root: home.lake,
    journalDir: home.journal,
    durability: 'journal',
  });

  const ingestDependencies: IngestDependencies & { clock: Clock } = {
    store,
    secrets: localSecrets(home, env),
    clock,
    maxBodyBytes: settings.CS_PULSE_MAX_BODY_BYTES,
    sourceOptions: await loadSourceOptions(settings.CS_PULSE_CONFIG),
  };
  const ingest = createIngestWebhookHandler(async () => ingestDependencies) as unknown as HttpLambdaHandler;
  const server = createLocalServer(
    [
      { method: 'ANY', path: '/webhooks/{source}', name: 'ingest-webhook', handler: ingest },
      {
        method: 'GET',
        path: '/healthz',
        name: 'health',
        handler: healthHandler as unknown as HttpLambdaHandler,
      },
    ],
    () => clock.now(),
  );
  const address = await listen(server, settings.PORT, settings.HOST);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    home,
    server,
    store,
    genericSecret,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await store.close();
    },
  };
}

export { WEBHOOK_SOURCES };
