import { PLAN_PROFILES } from './company-profile.js';
import { digest } from './delivery.js';
import { addMonths } from './simulate-company.js';
import type { SimulatedAccount, SubscriptionChange } from './simulated-events.js';

/**
 * Subscription changes as Stripe `customer.subscription.*` events: a per-seat monthly price per plan, the seats as the
 * item quantity, and the account id in the subscription's metadata (the `account_id_metadata_key` option), because
 * Stripe's own customer id means nothing to the CRM or the survey tools.
 */
export const STRIPE_ACCOUNT_METADATA_KEY = 'account_id';
const API_VERSION = '2024-06-20';

const seconds = (at: Date) => Math.floor(at.getTime() / 1000);

/** The monthly billing period of a subscription that contains an instant. */
function billingPeriod(startedAt: Date, at: Date): { start: Date; end: Date } {
  let months = 0;
  while (addMonths(startedAt, months + 1).getTime() <= at.getTime()) months += 1;
  return { start: addMonths(startedAt, months), end: addMonths(startedAt, months + 1) };
}

function item(
  change: Pick<SubscriptionChange, 'subscriptionId' | 'subscriptionStartedAt'>,
  plan: SubscriptionChange['plan'],
  seats: number,
  period: { start: Date; end: Date },
) {
  const unitAmount = PLAN_PROFILES[plan].pricePerSeat * 100;
  return {
    id: `si_${digest(`${change.subscriptionId}:${plan}`, 14)}`,
    object: 'subscription_item',
    created: seconds(change.subscriptionStartedAt),
    metadata: {},
    price: {
      id: `price_demo_${plan}_monthly`,
      object: 'price',
      active: true,
      billing_scheme: 'per_unit',
      currency: 'usd',
      livemode: false,
      lookup_key: `${plan}_monthly`,
      nickname: `${plan[0]!.toUpperCase()}${plan.slice(1)} (per seat)`,
      product: `prod_demo_${plan}`,
      recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed', meter: null },
      tax_behavior: 'exclusive',
      tiers_mode: null,
      transform_quantity: null,
      type: 'recurring',
      unit_amount: unitAmount,
      unit_amount_decimal: String(unitAmount),
    },
    quantity: seats,
    subscription: change.subscriptionId,
    current_period_start: seconds(period.start),
    current_period_end: seconds(period.end),
  };
}

export function stripeEventOf(
  change: SubscriptionChange,
  account: SimulatedAccount,
): Record<string, unknown> {
  const period = billingPeriod(change.subscriptionStartedAt, change.at);
  const canceling = change.type === 'canceled';
  const subscription = {
    id: change.subscriptionId,
    object: 'subscription',
    billing_cycle_anchor: seconds(change.subscriptionStartedAt),
    cancel_at: canceling ? seconds(change.effectiveAt!) : null,
    cancel_at_period_end: canceling,
    canceled_at: canceling ? seconds(change.at) : null,
    cancellation_details: canceling
      ? { comment: null, feedback: null, reason: 'cancellation_requested' }
      : { comment: null, feedback: null, reason: null },
    collection_method: 'charge_automatically',
    created: seconds(change.subscriptionStartedAt),
    currency: 'usd',
    customer: `cus_${digest(account.id, 14)}`,
    description: null,
    ended_at: null,
    items: {
      object: 'list',
      data: [item(change, change.plan, change.seats, period)],
      has_more: false,
      url: `/v1/subscription_items?subscription=${change.subscriptionId}`,
    },
    livemode: false,
    metadata: { [STRIPE_ACCOUNT_METADATA_KEY]: account.id },
    start_date: seconds(change.subscriptionStartedAt),
    status: 'active',
    trial_end: null,
    trial_start: null,
  };
  const previousAttributes =
    change.type === 'canceled'
      ? { cancel_at: null, cancel_at_period_end: false, canceled_at: null }
      : change.type === 'changed' && change.previous
        ? {
            items: {
              object: 'list',
              data: [item(change, change.previous.plan, change.previous.seats, period)],
              has_more: false,
              url: `/v1/subscription_items?subscription=${change.subscriptionId}`,
            },
          }
        : undefined;
  return {
    id: `evt_${digest(change.id, 24)}`,
    object: 'event',
    api_version: API_VERSION,
    created: seconds(change.at),
    data: {
      object: subscription,
      ...(previousAttributes ? { previous_attributes: previousAttributes } : {}),
    },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: change.type === 'started' ? 'customer.subscription.created' : 'customer.subscription.updated',
  };
}
