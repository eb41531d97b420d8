import { z } from 'zod';
import type { CanonicalEvent } from '../domain/canonical-events.js';
import {
  BILLING_INTERVALS,
  ISO_ZERO_DECIMAL_CURRENCIES,
  majorUnits,
  mrrOf,
  type RecurringCharge,
} from '../domain/recurring-revenue.js';
import { parseJsonBody } from './json-body.js';
import { type TimestampedHmacScheme, verifyTimestampedHmac } from './schemes/timestamped-hmac.js';
import { defineSource, type Normalization } from './source.js';
import {
  identifierFrom,
  ignoredEvent,
  invalidPayload,
  mappedEvents,
  ownValue,
  vendorDateTime,
} from './vendor-events.js';

/**
 * Paddle Billing (docs/sources/billing.md#paddle): `subscription.created|updated|canceled` (and `activated`, for
 * trials) become subscription events with the subscription's MRR. Signed with `Paddle-Signature: ts=<unix>;h1=<hex>`,
 * HMAC-SHA256 of `{ts}:{body}` keyed with the endpoint's secret key as is.
 *
 * Paddle's SDK accepts a signature for 5 seconds only; cs-pulse allows 5 minutes either way, as for every other
 * signed source, because a sender's and a Lambda's clocks can easily be a few seconds apart.
 */
export const PADDLE_SIGNATURE: TimestampedHmacScheme = {
  header: 'paddle-signature',
  pairSeparator: ';',
  timestampKey: 'ts',
  signatureKey: 'h1',
  payloadSeparator: ':',
  toleranceSeconds: 300,
};

/** Paddle amounts are in the currency's lowest denomination: cents, or whole yen and won. */
export function paddleCurrencyDecimals(currency: string): number {
  return ISO_ZERO_DECIMAL_CURRENCIES.has(currency.toUpperCase()) ? 0 : 2;
}

export const paddleOptionsSchema = z
  .object({
    account_id_custom_data_key: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe(
        "Key of the subscription's custom_data holding your account id; the Paddle customer id when unset or absent.",
      ),
  })
  .strict();

export type PaddleOptions = z.infer<typeof paddleOptionsSchema>;

const eventSchema = z.looseObject({
  event_id: z.string().min(1).max(256),
  event_type: z.string().min(1),
  occurred_at: vendorDateTime,
  data: z.unknown(),
});

const billingCycleSchema = z.looseObject({
  interval: z.enum(BILLING_INTERVALS),
  frequency: z.number().int().positive(),
});

const moneySchema = z.looseObject({
  amount: z.string().regex(/^\d{1,20}$/, 'must be an amount in the lowest denomination, such as "1999"'),
  currency_code: z.string().regex(/^[A-Za-z]{3}$/),
});

const itemSchema = z.looseObject({
  status: z.string().nullish(),
  quantity: z.number().nonnegative(),
  recurring: z.boolean().nullish(),
  price: z
    .looseObject({
      unit_price: moneySchema,
      billing_cycle: billingCycleSchema.nullish(),
      unit_price_overrides: z.array(z.looseObject({ unit_price: moneySchema })).nullish(),
    })
    .nullish(),
});

const subscriptionSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string(),
  customer_id: z.string().min(1),
  currency_code: z.string().regex(/^[A-Za-z]{3}$/, 'must be a three-letter currency code'),
  started_at: vendorDateTime.nullish(),
  first_billed_at: vendorDateTime.nullish(),
  canceled_at: vendorDateTime.nullish(),
  billing_cycle: billingCycleSchema.nullish(),
  scheduled_change: z.looseObject({ action: z.string(), effective_at: vendorDateTime }).nullish(),
  custom_data: z.record(z.string(), z.unknown()).nullish(),
  items: z.array(itemSchema),
});

type PaddleSubscription = z.infer<typeof subscriptionSchema>;

const MAPPED_TYPES = new Set([
  'subscription.created',
  'subscription.activated',
  'subscription.updated',
  'subscription.canceled',
]);

/** A `trialing` subscription has not started paying; it starts when it is activated (docs/sources/billing.md#trials). */
const NOT_PAYING_STATUSES = new Set(['trialing']);

function normalizePaddle(body: Buffer, options: PaddleOptions): Normalization {
  const json = parseJsonBody(body);
  if (!json.ok) return json;
  const envelope = eventSchema.safeParse(json.value);
  if (!envelope.success) return invalidPayload('the body is not a Paddle Billing event', envelope.error);
  const event = envelope.data;
  if (!MAPPED_TYPES.has(event.event_type)) return ignoredEvent(event.event_id);

  const parsed = subscriptionSchema.safeParse(event.data);
  if (!parsed.success) return invalidPayload('data is not a Paddle subscription', parsed.error, ['data']);
  const subscription = parsed.data;
  const customDataKey = options.account_id_custom_data_key;
  const accountId =
    (customDataKey ? identifierFrom(ownValue(subscription.custom_data, customDataKey)) : undefined) ??
    subscription.customer_id;
  const envelopeFields = { id: event.event_id, occurred_at: event.occurred_at, account_id: accountId };
  const withRevenue = (type: 'subscription.started' | 'subscription.changed'): Normalization => {
    const charges = recurringCharges(subscription);
    if (!charges.ok) return charges.problem;
    return mappedEvents(
      [
        {
          ...envelopeFields,
          type,
          data: {
            // A paused subscription bills nothing until it resumes.
            mrr: subscription.status === 'paused' ? 0 : mrrOf(charges.value),
            currency: subscription.currency_code.toUpperCase(),
            subscription_id: subscription.id,
          },
        },
      ],
      event.event_id,
    );
  };
  const canceled = (effectiveAt: string): Normalization => {
    // Never billed: a trial that ends without converting never started, so it does not churn either.
    if (!subscription.first_billed_at) return ignoredEvent(event.event_id);
    const cancellation: CanonicalEvent = {
      ...envelopeFields,
      type: 'subscription.canceled',
      data: { effective_at: effectiveAt, subscription_id: subscription.id },
    };
    return mappedEvents([cancellation], event.event_id);
  };

  switch (event.event_type) {
    case 'subscription.canceled':
      return canceled(subscription.canceled_at ?? event.occurred_at);
    case 'subscription.created':
      return NOT_PAYING_STATUSES.has(subscription.status)
        ? ignoredEvent(event.event_id)
        : withRevenue('subscription.started');
    case 'subscription.activated':
      // Paddle sends `activated` right after `created` for a subscription without a trial (that one has started
      // already), and on its own when a trial converts: only then does started_at differ from first_billed_at.
      return subscription.started_at && subscription.first_billed_at !== subscription.started_at
        ? withRevenue('subscription.started')
        : ignoredEvent(event.event_id);
    default: {
      // subscription.updated
      if (NOT_PAYING_STATUSES.has(subscription.status)) return ignoredEvent(event.event_id);
      if (subscription.status === 'canceled') return canceled(subscription.canceled_at ?? event.occurred_at);
      if (subscription.scheduled_change?.action === 'cancel') {
        return canceled(subscription.scheduled_change.effective_at);
      }
      return withRevenue('subscription.changed');
    }
  }
}

/**
 * Every recurring item that is not inactive: its unit price (in the subscription's currency, from the price or its
 * matching country override) times its quantity, per the price's billing cycle. Discounts and taxes are not applied.
 */
export function recurringCharges(
  subscription: Pick<PaddleSubscription, 'currency_code' | 'billing_cycle' | 'items'>,
): { ok: true; value: RecurringCharge[] } | { ok: false; problem: Normalization } {
  const currency = subscription.currency_code.toUpperCase();
  const decimals = paddleCurrencyDecimals(currency);
  const charges: RecurringCharge[] = [];
  for (const [index, item] of subscription.items.entries()) {
    if (!item.price || item.recurring === false || item.status === 'inactive') continue;
    const cycle = item.price.billing_cycle ?? subscription.billing_cycle;
    if (!cycle) continue; // a one-time price: no recurring revenue
    const candidates = [
      item.price.unit_price,
      ...(item.price.unit_price_overrides ?? []).map((o) => o.unit_price),
    ];
    const unitPrice = candidates.find((money) => money.currency_code.toUpperCase() === currency);
    if (!unitPrice) {
      return {
        ok: false,
        problem: {
          ok: false,
          status: 422,
          detail: `item ${index} has no price in the subscription's currency ${currency}`,
          errors: [{ path: `data.items[${index}].price.unit_price`, message: `no amount in ${currency}` }],
        },
      };
    }
    charges.push({
      amount: majorUnits(Number(unitPrice.amount) * item.quantity, decimals),
      interval: cycle.interval,
      intervalCount: cycle.frequency,
    });
  }
  return { ok: true, value: charges };
}

export const paddleSource = defineSource<PaddleOptions>({
  name: 'paddle',
  title: 'Paddle Billing',
  contentTypes: ['application/json'],
  archivedHeaders: ['paddle-signature', 'user-agent'],
  optionsSchema: paddleOptionsSchema,
  verify: (request, secrets) => verifyTimestampedHmac(PADDLE_SIGNATURE, request, secrets),
  normalize: (body, context) => normalizePaddle(body, context.options),
});
