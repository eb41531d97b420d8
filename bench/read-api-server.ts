import { subscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readSettings } from '../lambdas/config/settings.js';
import { startLocalApp } from '../lambdas/local/local-app.js';

/**
 * The local app (`npm start`'s runtime) on a given home, for the read-API benchmark, counting every request that
 * reaches its KPI store. dynalite serves the DynamoDB API over HTTP in this same process, so Node's built-in
 * `http.server.request.start` diagnostics channel sees each of its requests, named by its `X-Amz-Target` header,
 * without touching the app's code. A second loopback server answers `GET /` with the counts so far.
 *
 *   node --import tsx bench/read-api-server.ts <home>
 */
const home = process.argv[2];
if (!home) throw new Error('usage: read-api-server.ts <home>');

const storeRequests: Record<string, number> = {};
subscribe('http.server.request.start', (message) => {
  const target = (message as { request: IncomingMessage }).request.headers['x-amz-target'];
  if (typeof target !== 'string') return; // the app's own API, or the counts server
  const operation = target.slice(target.lastIndexOf('.') + 1);
  storeRequests[operation] = (storeRequests[operation] ?? 0) + 1;
});

const app = await startLocalApp({
  settings: readSettings({
    ...process.env,
    CS_PULSE_HOME: home,
    HOST: '127.0.0.1',
    PORT: '0',
    CS_PULSE_AGGREGATE_INTERVAL_SECONDS: '0',
  }),
});
const counts = createServer((_request, response) => {
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify(storeRequests));
});
await new Promise<void>((resolve) => counts.listen(0, '127.0.0.1', resolve));
console.log(`KPI store request counts on http://127.0.0.1:${(counts.address() as AddressInfo).port}`);
console.log(`read API serving on ${app.url}`);

process.once('SIGTERM', () => {
  counts.close();
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
