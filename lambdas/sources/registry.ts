import { chargebeeSource } from './chargebee.js';
import { genericSource } from './generic.js';
import { paddleSource } from './paddle.js';
import type { WebhookSource } from './source.js';
import { stripeSource } from './stripe.js';

/** Every source cs-pulse accepts webhooks from. Adding a vendor is one file plus one line here. */
export const WEBHOOK_SOURCES: readonly WebhookSource[] = [
  genericSource,
  stripeSource,
  paddleSource,
  chargebeeSource,
];

const byName = new Map(WEBHOOK_SOURCES.map((source) => [source.name, source]));

export function findSource(name: string): WebhookSource | undefined {
  return byName.get(name);
}
