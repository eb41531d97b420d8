import { type Delivery, digest } from './delivery.js';
import { HUBSPOT_MAX_NOTIFICATIONS, hubspotNotificationsOf } from './hubspot-payloads.js';
import type { SimulatedAccount, SimulatedEvent } from './simulated-events.js';
import { stripeEventOf } from './stripe-payloads.js';
import { delightedEventOf, typeformEventOf, zendeskBodyOf } from './survey-payloads.js';
import {
  delightedHeaders,
  hubspotHeaders,
  stripeHeaders,
  typeformHeaders,
  zendeskHeaders,
} from './webhook-signing.js';

/**
 * The company as the vendors would send it: accounts from HubSpot (up to 100 notifications a request, as HubSpot
 * batches them), subscriptions from Stripe, NPS from Delighted, CES from Typeform and CSAT from Zendesk, one request
 * per vendor event. Bodies are fixed by the seed; only the signatures change from run to run.
 */
export function vendorDeliveries(
  events: readonly SimulatedEvent[],
  accounts: readonly SimulatedAccount[],
): Delivery[] {
  const accountById = new Map(accounts.map((account) => [account.id, account]));
  const deliveries: Delivery[] = [];
  let notifications: Record<string, unknown>[] = [];
  let notifiedEvents = 0;
  const flushHubSpot = () => {
    if (notifications.length === 0) return;
    const body = JSON.stringify(notifications);
    deliveries.push({
      source: 'hubspot',
      body,
      events: notifiedEvents,
      headers: (secret, sentAt, url) => hubspotHeaders(secret, url, body, sentAt),
    });
    notifications = [];
    notifiedEvents = 0;
  };

  for (const event of events) {
    const account = accountById.get(event.accountId)!;
    if (event.kind === 'account') {
      const batch = hubspotNotificationsOf(event);
      if (notifications.length + batch.length > HUBSPOT_MAX_NOTIFICATIONS) flushHubSpot();
      notifications.push(...batch);
      notifiedEvents += 1;
      continue;
    }
    if (event.kind === 'subscription') {
      const body = JSON.stringify(stripeEventOf(event, account));
      deliveries.push({
        source: 'stripe',
        body,
        events: 1,
        headers: (secret, sentAt) => stripeHeaders(secret, body, sentAt),
      });
      continue;
    }
    if (event.survey === 'nps') {
      const body = JSON.stringify(delightedEventOf(event, account));
      deliveries.push({
        source: 'delighted',
        body,
        events: 1,
        headers: (secret) => delightedHeaders(secret, body),
      });
    } else if (event.survey === 'ces') {
      const body = JSON.stringify(typeformEventOf(event, account));
      deliveries.push({
        source: 'typeform',
        body,
        events: 1,
        headers: (secret) => typeformHeaders(secret, body),
      });
    } else {
      const body = JSON.stringify(zendeskBodyOf(event, account));
      const invocationId = digest(`zendesk:${event.id}`, 20);
      deliveries.push({
        source: 'zendesk',
        body,
        events: 1,
        headers: (secret, sentAt) => zendeskHeaders(secret, body, sentAt, invocationId),
      });
    }
  }
  flushHubSpot();
  return deliveries;
}
