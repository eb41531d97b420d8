import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface OpenLoopJob {
  readonly url: string;
  /** Requests per second, sent on schedule whether or not earlier answers are in (open loop). */
  readonly rate: number;
  readonly durationMs: number;
  /** More requests outstanding than this and the next one is dropped (counted), so an overloaded server cannot
   * make the client pile up connections without bound. */
  readonly maxInFlight: number;
}

export interface OpenLoopResult {
  readonly sent: number;
  readonly dropped: number;
  readonly elapsedMs: number;
  /** From writing the request to the end of the answer. */
  readonly latencyMs: Percentiles;
  /** From when the request was due to the end of the answer: includes any delay of the client itself. */
  readonly latencyFromScheduleMs: Percentiles;
  readonly statuses: Readonly<Record<string, number>>;
  readonly responseBytes: number;
  /** The first answer's body, to check what was served. */
  readonly sample: string;
}

export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * A fixed-rate open-loop load on keep-alive connections: request i is due at start + i / rate and is sent then,
 * whatever happened to the earlier ones, so a slow answer cannot hide later latency (no coordinated omission).
 */
export async function openLoop(job: OpenLoopJob): Promise<OpenLoopResult> {
  const target = new URL(job.url);
  const agent = new Agent({ keepAlive: true, maxSockets: job.maxInFlight });
  const latencies: number[] = [];
  const fromSchedule: number[] = [];
  const statuses: Record<string, number> = {};
  let responseBytes = 0;
  let sample = '';
  let inFlight = 0;
  let dropped = 0;
  const outstanding: Promise<void>[] = [];
  const total = Math.round((job.rate * job.durationMs) / 1000);
  const began = performance.now();

  const send = (due: number) =>
    new Promise<void>((resolve) => {
      const sentAt = performance.now();
      inFlight += 1;
      const finish = (status: string, body?: Buffer) => {
        const end = performance.now();
        inFlight -= 1;
        statuses[status] = (statuses[status] ?? 0) + 1;
        latencies.push(end - sentAt);
        fromSchedule.push(end - due);
        if (body) {
          responseBytes += body.length;
          if (sample === '') sample = body.toString('utf8');
        }
        resolve();
      };
      const outgoing = request(
        { agent, host: target.hostname, port: target.port, path: `${target.pathname}${target.search}` },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => finish(String(response.statusCode), Buffer.concat(chunks)));
          response.on('error', () => finish('error'));
        },
      );
      outgoing.on('error', () => finish('error'));
      outgoing.end();
    });

  for (let index = 0; index < total; index += 1) {
    const due = began + (index * 1000) / job.rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    if (inFlight >= job.maxInFlight) {
      dropped += 1;
      continue;
    }
    outstanding.push(send(due));
  }
  await Promise.all(outstanding);
  const elapsedMs = performance.now() - began;
  agent.destroy();
  return {
    sent: outstanding.length,
    dropped,
    elapsedMs,
    latencyMs: percentiles(latencies),
    latencyFromScheduleMs: percentiles(fromSchedule),
    statuses,
    responseBytes,
    sample,
  };
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1] ?? Number.NaN };
}
