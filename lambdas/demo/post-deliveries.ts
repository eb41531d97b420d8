import type { Delivery, DemoSource } from './delivery.js';

export interface PostOptions {
  /** The server's base URL, such as http://127.0.0.1:3000. */
  readonly baseUrl: string;
  readonly secrets: Readonly<Partial<Record<DemoSource, string>>>;
  /** Requests in flight at once. */
  readonly concurrency: number;
  /** After each answered request, with the simulated events it carried. */
  readonly onDelivered?: (events: number) => void;
  readonly now?: () => Date;
}

export interface PostReport {
  readonly requests: number;
  /** Canonical events the server took, by its answers. */
  readonly accepted: number;
  readonly ignored: number;
  readonly bySource: Readonly<Record<string, number>>;
  /** Requests the server refused; posting stops at the first. */
  readonly failures: readonly { source: string; status: number; detail: string }[];
}

/**
 * POSTs every delivery to /webhooks/<source> with a bounded number of requests in flight, signing each just before
 * it goes. Stops taking new work at the first refusal: a wrong secret or mapping fails every request alike.
 */
export async function postDeliveries(
  deliveries: readonly Delivery[],
  options: PostOptions,
): Promise<PostReport> {
  const now = options.now ?? (() => new Date());
  let next = 0;
  let requests = 0;
  let accepted = 0;
  let ignored = 0;
  const bySource: Record<string, number> = {};
  const failures: { source: string; status: number; detail: string }[] = [];

  const worker = async () => {
    while (failures.length === 0 && next < deliveries.length) {
      const delivery = deliveries[next]!;
      next += 1;
      const url = `${options.baseUrl}/webhooks/${delivery.source}`;
      const secret = options.secrets[delivery.source];
      if (secret === undefined) throw new Error(`no secret to sign ${delivery.source} requests with`);
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...delivery.headers(secret, now(), url) },
        body: delivery.body,
      });
      const text = await response.text();
      requests += 1;
      bySource[delivery.source] = (bySource[delivery.source] ?? 0) + 1;
      if (!response.ok) {
        failures.push({ source: delivery.source, status: response.status, detail: problemDetail(text) });
        return;
      }
      const answer = parseJson(text);
      accepted += typeof answer?.accepted === 'number' ? answer.accepted : 0;
      ignored += typeof answer?.ignored === 'number' ? answer.ignored : 0;
      options.onDelivered?.(delivery.events);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return { requests, accepted, ignored, bySource, failures };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function problemDetail(text: string): string {
  const problem = parseJson(text);
  const detail = typeof problem?.detail === 'string' ? problem.detail : text.slice(0, 300);
  const errors = Array.isArray(problem?.errors) ? ` ${JSON.stringify(problem.errors.slice(0, 3))}` : '';
  return `${detail}${errors}`;
}
