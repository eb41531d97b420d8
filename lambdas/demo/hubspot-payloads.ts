import { numericDigest } from './delivery.js';
import type { AccountChange } from './simulated-events.js';

/**
 * Account changes as HubSpot company notifications: a `company.creation` and one `company.propertyChange` per
 * property, as an app subscribed to those properties receives them. The company's object id is the account's number,
 * and the `account_id_template` option `acct_{objectId}` turns it into the account id the other sources carry.
 */
export const HUBSPOT_ACCOUNT_ID_TEMPLATE = 'acct_{objectId}';
/** Custom company properties the demo's CRM keeps, mapped as segment attributes. */
export const HUBSPOT_ATTRIBUTE_PROPERTIES = ['region', 'industry', 'size_band'] as const;
export const HUBSPOT_MAX_NOTIFICATIONS = 100;

const PORTAL_ID = 48_123_456;
const APP_ID = 3_141_592;
/** One webhook subscription per notification kind, as the app's settings list them. */
const SUBSCRIPTION_IDS: Readonly<Record<string, number>> = {
  creation: 2_710_001,
  name: 2_710_002,
  plan: 2_710_003,
  region: 2_710_004,
  industry: 2_710_005,
  size_band: 2_710_006,
};

export function hubspotNotificationsOf(change: AccountChange): Record<string, unknown>[] {
  const base = (key: string, offsetMs: number) => ({
    eventId: numericDigest(`${change.id}:${key}`, 9),
    subscriptionId: SUBSCRIPTION_IDS[key]!,
    portalId: PORTAL_ID,
    appId: APP_ID,
    occurredAt: change.at.getTime() + offsetMs,
    attemptNumber: 0,
    objectId: change.account.number,
    changeSource: 'CRM_UI',
    sourceId: 'userId:7301245',
  });
  const notifications: Record<string, unknown>[] = [];
  const properties: [string, string][] = [];
  if (change.name !== undefined) {
    notifications.push({
      ...base('creation', 0),
      subscriptionType: 'company.creation',
      changeFlag: 'CREATED',
    });
    properties.push(['name', change.name]);
  }
  if (change.plan !== undefined) properties.push(['plan', change.plan]);
  for (const [key, value] of Object.entries(change.attributes ?? {})) properties.push([key, value]);
  properties.forEach(([property, value], index) => {
    notifications.push({
      ...base(property, index + 1),
      subscriptionType: 'company.propertyChange',
      propertyName: property,
      propertyValue: value,
    });
  });
  return notifications;
}
