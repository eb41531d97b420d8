import {
  accountUpdated,
  subscriptionCanceled,
  subscriptionChanged,
  subscriptionStarted,
  surveyEvent,
} from './events.js';
import type { TestApp } from './local-app.js';

/**
 * The small company of test/kpis/known-answers.test.ts, built by hand; its KPIs are worked out by hand there. Also the
 * dataset that shows compaction changes no number (test/lake/compact-lake.test.ts).
 */
export const NOW = new Date('2025-04-01T00:00:00Z');

export const accounts = [
  // acme moved from pro to enterprise; the newer event is delivered first (out of order): enterprise must win.
  accountUpdated('acc-acme-2', 'acme', '2025-02-15T00:00:00Z', { plan: 'enterprise' }),
  accountUpdated('acc-acme-1', 'acme', '2025-01-01T00:00:00Z', {
    name: 'Acme',
    plan: 'pro',
    attributes: { region: 'emea' },
  }),
  accountUpdated('acc-globex', 'globex', '2025-01-01T00:00:00Z', {
    plan: 'pro',
    attributes: { region: 'amer' },
  }),
  accountUpdated('acc-initech', 'initech', '2025-01-01T00:00:00Z', { plan: 'basic' }),
  accountUpdated('acc-umbrella', 'umbrella', '2025-01-01T00:00:00Z', { plan: 'basic' }),
  // hooli has no plan: it counts only for all accounts.
];

export const subscriptions = [
  // globex's cancellation arrives before its start (out of order).
  subscriptionCanceled('sub-globex-end', 'globex', '2025-02-01T00:00:00Z', '2025-02-15T00:00:00Z'),
  subscriptionStarted('sub-globex-start', 'globex', 100, '2024-12-10T00:00:00Z'),
  subscriptionStarted('sub-acme-start', 'acme', 500, '2024-12-01T09:00:00Z'),
  // acme schedules a cancellation for the end of February, then takes it back: never churned.
  subscriptionCanceled('sub-acme-scheduled-end', 'acme', '2025-02-10T00:00:00Z', '2025-02-28T00:00:00Z'),
  subscriptionChanged('sub-acme-kept', 'acme', 500, '2025-02-20T00:00:00Z'),
  // initech churns and restarts within January: not churned.
  subscriptionStarted('sub-initech-start', 'initech', 50, '2024-11-05T00:00:00Z'),
  subscriptionCanceled('sub-initech-end', 'initech', '2025-01-20T00:00:00Z'),
  subscriptionStarted('sub-initech-restart', 'initech', 50, '2025-01-25T00:00:00Z'),
  // umbrella starts and churns within January: in neither count.
  subscriptionStarted('sub-umbrella-start', 'umbrella', 20, '2025-01-03T00:00:00Z'),
  subscriptionCanceled('sub-umbrella-end', 'umbrella', '2025-01-10T00:00:00Z', '2025-01-28T00:00:00Z'),
  // hooli's service ends exactly at 1 March 00:00: ended by March's start, so it churned in February.
  subscriptionStarted('sub-hooli-start', 'hooli', 80, '2024-12-20T00:00:00Z'),
  subscriptionCanceled('sub-hooli-end', 'hooli', '2025-02-10T00:00:00Z', '2025-03-01T00:00:00Z'),
];

export const surveys = [
  // January NPS: promoters acme 10, acme 9, hooli 9; passive globex 8; detractors initech 6, umbrella 0.
  surveyEvent('nps-1', 'acme', 'nps', 10, '2025-01-05T10:00:00Z'),
  surveyEvent('nps-2', 'acme', 'nps', 9, '2025-01-06T10:00:00Z'),
  surveyEvent('nps-3', 'globex', 'nps', 8, '2025-01-07T10:00:00Z'),
  surveyEvent('nps-4', 'initech', 'nps', 6, '2025-01-08T10:00:00Z'),
  surveyEvent('nps-5', 'umbrella', 'nps', 0, '2025-01-09T10:00:00Z'),
  surveyEvent('nps-6', 'hooli', 'nps', 9, '2025-01-31T23:59:59Z'),
  // February NPS: globex 5 on a 1–5 scale maps to 10, a promoter.
  surveyEvent('nps-7', 'globex', 'nps', 5, '2025-02-03T10:00:00Z', { scale_min: 1, scale_max: 5 }),
  // January CES: acme 7; globex 4 of 1–5 → 1 + 3·6/4 = 5.5; initech 2; umbrella 5 of 1–5 → 7.
  surveyEvent('ces-1', 'acme', 'ces', 7, '2025-01-10T10:00:00Z'),
  surveyEvent('ces-2', 'globex', 'ces', 4, '2025-01-11T10:00:00Z', { scale_min: 1, scale_max: 5 }),
  surveyEvent('ces-3', 'initech', 'ces', 2, '2025-01-12T10:00:00Z'),
  surveyEvent('ces-4', 'umbrella', 'ces', 5, '2025-01-13T10:00:00Z', { scale_min: 1, scale_max: 5 }),
  // January CSAT: acme 5, globex 4, initech 3, hooli 3 of 1–3 → 5: satisfied 3 of 4.
  surveyEvent('csat-1', 'acme', 'csat', 5, '2025-01-14T10:00:00Z'),
  surveyEvent('csat-2', 'globex', 'csat', 4, '2025-01-15T10:00:00Z'),
  surveyEvent('csat-3', 'initech', 'csat', 3, '2025-01-16T10:00:00Z'),
  surveyEvent('csat-4', 'hooli', 'csat', 3, '2025-01-17T10:00:00Z', { scale_min: 1, scale_max: 3 }),
];

/**
 * Posts the company through the signed generic endpoint: three deliveries, then the same events again under new
 * delivery ids (a sender's retry after a timeout), which must count once.
 */
export async function postKnownAnswerCompany(app: TestApp): Promise<void> {
  const post = async (events: unknown[], id: string) => {
    const response = await app.postGeneric({ events }, { id, sentAt: NOW });
    if (response.status !== 202) throw new Error(`delivery ${id} answered ${response.status}`);
  };
  await post(accounts, 'delivery-accounts');
  await post(subscriptions, 'delivery-subscriptions');
  await post(surveys, 'delivery-surveys');
  await post([surveys[0], surveys[9]], 'delivery-retry');
  await post([subscriptions[0]], 'delivery-retry-2');
}
