import { MAX_EVENTS_PER_BATCH } from '../domain/canonical-events.js';
import { canonicalEventOf } from './canonical-rendering.js';
import { type Delivery, digest } from './delivery.js';
import type { SimulatedEvent } from './simulated-events.js';
import { standardWebhooksHeaders } from './webhook-signing.js';

/**
 * The company as generic webhooks: batches of up to 500 canonical events, in time order so each batch touches few
 * `dt` partitions (the lake writes one table file per batch and day). The message id is a digest of the body, so
 * running the demo again redelivers the same messages instead of adding copies.
 */
export function genericDeliveries(
  events: readonly SimulatedEvent[],
  batchSize = MAX_EVENTS_PER_BATCH,
): Delivery[] {
  const deliveries: Delivery[] = [];
  for (let start = 0; start < events.length; start += batchSize) {
    const batch = events.slice(start, start + batchSize);
    const body = JSON.stringify({ events: batch.map(canonicalEventOf) });
    const id = `msg_demo_${digest(body)}`;
    deliveries.push({
      source: 'generic',
      body,
      events: batch.length,
      headers: (secret, sentAt) => standardWebhooksHeaders(secret, id, body, sentAt),
    });
  }
  return deliveries;
}
