import type { Server } from 'node:http';
import { LocalDiskObjectStore } from '../adapters/local-disk-object-store.js';
import type { Settings } from '../config/settings.js';
import { loadSourceOptions, localConfigFiles } from '../config/source-options.js';
import { createGetChurnDriversHandler } from '../handlers/get-churn-drivers.js';
import { createGetCohortsHandler } from '../handlers/get-cohorts.js';
import { createGetCurrentKpisHandler } from '../handlers/get-current-kpis.js';
import { createGetKpiSeriesHandler } from '../handlers/get-kpi-series.js';
import { handler as openApiHandler } from '../handlers/get-openapi.js';
import { createGetSurvivalHandler } from '../handlers/get-survival.js';
import { handler as healthHandler } from '../handlers/health.js';
import { createIngestWebhookHandler } from '../handlers/ingest-webhook.js';
import type { IngestDependencies } from '../ingest/ingest-webhook.js';
import type { AggregateReport } from '../kpis/aggregate-kpis.js';
import { mergedTableObjectKey, tablePartitionFolderOf } from '../lake/layout.js';
import { type Clock, systemClock } from '../ports/clock.js';
import type { ObjectStore } from '../ports/object-store.js';
import { localObservability } from '../runtime/observability.js';
import { ensureGenericSecret, type LocalHome, localHome, localSecrets } from './home.js';
import { createLocalServer, type HttpLambdaHandler, listen } from './http-server.js';
import { LocalAggregator } from './local-aggregator.js';
import { type LocalKpiStore, serveLocalKpiStore } from './local-kpi-store.js';

export interface LocalApp {
  readonly url: string;
  readonly home: LocalHome;
  readonly server: Server;
  readonly store: LocalDiskObjectStore;
  readonly kpiStore: LocalKpiStore;
  readonly aggregator: LocalAggregator;
  readonly genericSecret: { secret: string; origin: 'environment' | 'generated' | 'file' };
  close(): Promise<void>;
}

export interface LocalAppOptions {
  readonly settings: Settings;
  readonly clock?: Clock;
  readonly env?: NodeJS.ProcessEnv;
  /** Called after each timed aggregation, for the console. */
  readonly onAggregated?: (report: AggregateReport) => void;
}

/**
 * `npm start`: the embedded runtime. The lake is a folder with the bucket's layout, writes are journaled with group
 * commit, KPIs live in dynalite on loopback, SQL runs on DuckDB, and the HTTP server calls the same handlers that API
 * Gateway invokes on AWS.
 */
export async function startLocalApp(options: LocalAppOptions): Promise<LocalApp> {
  const { settings } = options;
  const clock = options.clock ?? systemClock;
  const env = options.env ?? process.env;
  const home = localHome(settings.CS_PULSE_HOME);
  const sourceOptions = await loadSourceOptions(settings.CS_PULSE_CONFIG, localConfigFiles(home.root));
  const genericSecret = await ensureGenericSecret(home, env);
  const store = await LocalDiskObjectStore.open({
    root: home.lake,
    journalDir: home.journal,
    durability: 'journal',
    // A file per delivery and table day would make creating files the cost of every request: the rows of each
    // partition go into one file per journal segment instead (the views deduplicate a redelivery's second copy).
    merge: { groupOf: tablePartitionFolderOf, keyOf: mergedTableObjectKey },
  });
  const kpiStore = await serveLocalKpiStore(home);
  const aggregator = new LocalAggregator(home.lake, store, kpiStore.store, clock, {
    lowSampleMin: settings.CS_PULSE_LOW_SAMPLE_MIN,
    churnHorizonDays: settings.CS_PULSE_CHURN_HORIZON_DAYS,
  });

  // New data marks the KPIs stale; the timer aggregates only then (and once at start for data already there).
  let stale = true;
  const observedStore: ObjectStore = {
    putObjects: async (objects) => {
      await store.putObjects(objects);
      stale = true;
    },
    getObject: (key) => store.getObject(key),
    listObjects: (prefix) => store.listObjects(prefix),
    deleteObjects: (keys) => store.deleteObjects(keys),
    close: () => store.close(),
  };

  const ingestDependencies: IngestDependencies & { clock: Clock } = {
    store: observedStore,
    secrets: localSecrets(home, env),
    clock,
    maxBodyBytes: settings.CS_PULSE_MAX_BODY_BYTES,
    sourceOptions,
  };
  const readDependencies = async () => ({ store: kpiStore.store, apiToken: settings.CS_PULSE_API_TOKEN });
  const asLocal = (handler: unknown) => handler as HttpLambdaHandler;
  // The same JSON logs as on Lambda; no CloudWatch metrics, so none are published.
  const observability = localObservability();
  const server = createLocalServer(
    [
      {
        method: 'ANY',
        path: '/webhooks/{source}',
        name: 'ingest-webhook',
        handler: asLocal(createIngestWebhookHandler(async () => ingestDependencies, observability)),
      },
      {
        method: 'GET',
        path: '/v1/kpis',
        name: 'get-current-kpis',
        handler: asLocal(createGetCurrentKpisHandler(readDependencies, observability)),
      },
      {
        method: 'GET',
        path: '/v1/kpis/{metric}',
        name: 'get-kpi-series',
        handler: asLocal(createGetKpiSeriesHandler(readDependencies, observability)),
      },
      {
        method: 'GET',
        path: '/v1/cohorts/{kind}',
        name: 'get-cohorts',
        handler: asLocal(createGetCohortsHandler(readDependencies, observability)),
      },
      {
        method: 'GET',
        path: '/v1/survival',
        name: 'get-survival',
        handler: asLocal(createGetSurvivalHandler(readDependencies, observability)),
      },
      {
        method: 'GET',
        path: '/v1/insights/churn-drivers',
        name: 'get-churn-drivers',
        handler: asLocal(createGetChurnDriversHandler(readDependencies, observability)),
      },
      { method: 'GET', path: '/v1/openapi.json', name: 'get-openapi', handler: asLocal(openApiHandler) },
      { method: 'GET', path: '/healthz', name: 'health', handler: asLocal(healthHandler) },
    ],
    () => clock.now(),
  );
  const address = await listen(server, settings.PORT, settings.HOST);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let timer: NodeJS.Timeout | undefined;
  if (settings.CS_PULSE_AGGREGATE_INTERVAL_SECONDS > 0) {
    timer = setInterval(() => {
      if (!stale || aggregator.busy) return;
      stale = false;
      aggregator.run().then(
        (report) => options.onAggregated?.(report),
        (error) => {
          stale = true;
          console.error('aggregation failed', error);
        },
      );
    }, settings.CS_PULSE_AGGREGATE_INTERVAL_SECONDS * 1000);
    timer.unref();
  }

  return {
    url: `http://${host}:${address.port}`,
    home,
    server,
    store,
    kpiStore,
    aggregator,
    genericSecret,
    async close() {
      if (timer) clearInterval(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await aggregator.idle();
      await store.close();
      await kpiStore.close();
    },
  };
}
