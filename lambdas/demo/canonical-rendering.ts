import type { CanonicalEvent } from '../domain/canonical-events.js';
import type { SimulatedEvent } from './simulated-events.js';

/** A simulated event as cs-pulse's own canonical event, the body of the generic webhook. */
export function canonicalEventOf(event: SimulatedEvent): CanonicalEvent {
  const envelope = { id: event.id, occurred_at: event.at.toISOString(), account_id: event.accountId };
  switch (event.kind) {
    case 'account':
      return {
        ...envelope,
        type: 'account.updated',
        data: {
          ...(event.name !== undefined ? { name: event.name } : {}),
          ...(event.plan !== undefined ? { plan: event.plan } : {}),
          ...(event.attributes !== undefined ? { attributes: { ...event.attributes } } : {}),
        },
      };
    case 'subscription':
      if (event.type === 'canceled') {
        return {
          ...envelope,
          type: 'subscription.canceled',
          data: { effective_at: event.effectiveAt!.toISOString(), subscription_id: event.subscriptionId },
        };
      }
      return {
        ...envelope,
        type: event.type === 'started' ? 'subscription.started' : 'subscription.changed',
        data: { mrr: event.mrr, currency: event.currency, subscription_id: event.subscriptionId },
      };
    case 'survey':
      return {
        ...envelope,
        type: 'survey.responded',
        data: {
          survey: event.survey,
          score: event.score,
          respondent_id: event.respondent.id,
          touchpoint: event.touchpoint,
          ...(event.comment !== undefined ? { comment: event.comment } : {}),
        },
      };
  }
}
