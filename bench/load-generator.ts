import { Agent, request } from 'node:http';
import { genericDeliveries, type SignedDelivery } from './generic-deliveries.js';
import type { LoadJob, LoadResult } from './load.js';

/**
 * The load generator process (forked by load.ts): N keep-alive connections on loopback, each sending the next
 * pre-signed delivery as soon as its previous answer is read. All bodies are built and signed before the clock starts.
 */
const WARMUP_DISTINCT_DELIVERIES = 2000;

process.once('message', (job: LoadJob) => {
  run(job).then(
    (result) => process.send!({ result }, () => process.exit(0)),
    (error: unknown) =>
      process.send!({ error: String((error as Error)?.stack ?? error) }, () => process.exit(1)),
  );
});

async function run(job: LoadJob): Promise<LoadResult> {
  const sentAt = new Date();
  const warmup = genericDeliveries(WARMUP_DISTINCT_DELIVERIES, {
    secret: job.secret,
    idPrefix: `${job.idPrefix}-warm`,
    sentAt,
  });
  const measured = genericDeliveries(job.maxRequests, { secret: job.secret, idPrefix: job.idPrefix, sentAt });
  const target = new URL(job.url);
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency, maxFreeSockets: job.concurrency });
  const send = (delivery: SignedDelivery): Promise<number> =>
    new Promise((resolve, reject) => {
      const outgoing = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: delivery.headers,
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(delivery.body);
    });

  // Distinct deliveries answered 2xx: exactly the raw objects the lake must hold afterwards.
  const acknowledged = new Set<string>();
  const outcomes: Record<string, number> = {};
  const count = (outcome: string) => {
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  };

  // Warm-up: the same connections, JIT and caches warmed, nothing recorded but what the lake must hold.
  let warmupRequests = 0;
  const warmupEnd = performance.now() + job.warmupMs;
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      while (performance.now() < warmupEnd) {
        const delivery = warmup[warmupRequests++ % warmup.length]!;
        const status = await send(delivery).catch(() => 0);
        if (status >= 200 && status < 300) acknowledged.add(delivery.id);
      }
    }),
  );

  const latencies = new Float64Array(measured.length);
  let next = 0;
  let completed = 0;
  let events = 0;
  await new Promise((resolve) => process.send!({ measuring: 'start' }, resolve));
  const start = performance.now();
  const deadline = start + job.durationMs;
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      while (next < measured.length && performance.now() < deadline) {
        const delivery = measured[next++]!;
        const sent = performance.now();
        try {
          const status = await send(delivery);
          count(String(status));
          if (status >= 200 && status < 300) {
            acknowledged.add(delivery.id);
            events += delivery.events;
          }
        } catch {
          count('error');
        }
        latencies[completed++] = performance.now() - sent;
      }
    }),
  );
  const elapsedMs = performance.now() - start;
  await new Promise((resolve) => process.send!({ measuring: 'end' }, resolve));
  agent.destroy();

  const sorted = latencies.subarray(0, completed).sort();
  const percentile = (p: number) =>
    sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return {
    requests: completed,
    events,
    elapsedMs,
    requestsPerSecond: completed / (elapsedMs / 1000),
    eventsPerSecond: events / (elapsedMs / 1000),
    latencyMs: { p50: percentile(50), p90: percentile(90), p99: percentile(99), max: sorted.at(-1) ?? 0 },
    outcomes,
    acknowledgedDeliveries: acknowledged.size,
    warmupRequests,
  };
}
