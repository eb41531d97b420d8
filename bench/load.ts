import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What the load generator process is asked to do. */
export interface LoadJob {
  /** Full URL of the endpoint, such as http://127.0.0.1:3000/webhooks/generic. */
  readonly url: string;
  readonly secret: string;
  readonly idPrefix: string;
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Upper bound on measured requests; every one is a distinct, pre-signed delivery. */
  readonly maxRequests: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly events: number;
  readonly elapsedMs: number;
  readonly requestsPerSecond: number;
  readonly eventsPerSecond: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
  /** Responses by status code, and `error` for connection failures. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Distinct deliveries answered 2xx in warm-up and measurement: the raw objects the lake must hold afterwards. */
  readonly acknowledgedDeliveries: number;
  readonly warmupRequests: number;
}

export interface LoadHooks {
  /** Called when the warm-up is over and the measured requests begin, and again when they end. */
  readonly onMeasuring?: (phase: 'start' | 'end') => void;
}

/**
 * Runs one job in a fresh load generator process, so the client's CPU is never the server's event loop and both
 * servers meet exactly the same client.
 */
export function runLoad(job: LoadJob, hooks: LoadHooks = {}): Promise<LoadResult> {
  const child = fork(fileURLToPath(new URL('./load-generator.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let result: LoadResult | undefined;
    child.on('message', (message: { result?: LoadResult; error?: string; measuring?: 'start' | 'end' }) => {
      if (message.measuring) hooks.onMeasuring?.(message.measuring);
      if (message.error) reject(new Error(`load generator failed: ${message.error}`));
      result = message.result;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(`load generator exited with code ${code} and no result`));
    });
    child.send(job);
  });
}
