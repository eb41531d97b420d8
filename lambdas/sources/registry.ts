import { chargebeeSource } from './chargebee.js';
import { delightedSource } from './delighted.js';
import { genericSource } from './generic.js';
import { hubspotSource } from './hubspot.js';
import { intercomSource } from './intercom.js';
import { paddleSource } from './paddle.js';
import { salesforceSource } from './salesforce.js';
import type { WebhookSource } from './source.js';
import { stripeSource } from './stripe.js';
import { typeformSource } from './typeform.js';
import { zendeskSource } from './zendesk.js';

/** Every source cs-pulse accepts webhooks from. Adding a vendor is one file plus one line here. */
export const WEBHOOK_SOURCES: readonly WebhookSource[] = [
  genericSource,
  // Billing
  stripeSource,
  paddleSource,
  chargebeeSource,
  // CRMs
  hubspotSource,
  salesforceSource,
  // Surveys and support
  zendeskSource,
  intercomSource,
  typeformSource,
  delightedSource,
];

const byName = new Map(WEBHOOK_SOURCES.map((source) => [source.name, source]));

export function findSource(name: string): WebhookSource | undefined {
  return byName.get(name);
}
