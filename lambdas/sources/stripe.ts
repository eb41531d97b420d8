import { z } from 'zod';
import type { CanonicalEvent } from '../domain/canonical-events.js';
import { BILLING_INTERVALS, majorUnits, mrrOf, type RecurringCharge } from '../domain/recurring-revenue.js';
import { parseJsonBody } from './json-body.js';
import { type TimestampedHmacScheme, verifyTimestampedHmac } from './schemes/timestamped-hmac.js';
import { defineSource, type Normalization } from './source.js';
import {
  decimalString,
  identifierFrom,
  ignoredEvent,
  invalidPayload,
  isoFromUnixSeconds,
  mappedEvents,
  ownValue,
  unixSeconds,
} from './vendor-events.js';

/**
 * Stripe (docs/sources/billing.md#stripe): `customer.subscription.created|updated|deleted` become subscription
 * events with the subscription's MRR. Signed with `Stripe-Signature: t=<unix>,v1=<hex>`, HMAC-SHA256 of
 * `{t}.{body}` keyed with the `whsec_…` string as is (it is not base64-decoded as in Standard Webhooks).
 */
export const STRIPE_SIGNATURE: TimestampedHmacScheme = {
  header: 'stripe-signature',
  pairSeparator: ',',
  timestampKey: 't',
  signatureKey: 'v1',
  payloadSeparator: '.',
  toleranceSeconds: 300,
};

/** docs.stripe.com/currencies#zero-decimal: amounts in these are whole units, not hundredths. */
const STRIPE_ZERO_DECIMAL = new Set([
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'JPY',
  'KMF',
  'KRW',
  'MGA',
  'PYG',
  'RWF',
  'UGX',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
]);

/** docs.stripe.com/currencies#three-decimal: amounts in these are thousandths. */
const STRIPE_THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

/** Decimal places of a currency in Stripe amounts. ISK, HUF and TWD stay two-decimal in the API (Stripe's special cases). */
export function stripeCurrencyDecimals(currency: string): number {
  const code = currency.toUpperCase();
  if (STRIPE_ZERO_DECIMAL.has(code)) return 0;
  if (STRIPE_THREE_DECIMAL.has(code)) return 3;
  return 2;
}

export const stripeOptionsSchema = z
  .object({
    account_id_metadata_key: z
      .string()
      .min(1)
      .max(40)
      .optional()
      .describe(
        'Subscription metadata key holding your account id; the Stripe customer id when unset or absent.',
      ),
  })
  .strict();

export type StripeOptions = z.infer<typeof stripeOptionsSchema>;

const eventSchema = z.looseObject({
  id: z.string().min(1).max(256),
  type: z.string().min(1),
  created: unixSeconds,
  data: z.looseObject({ object: z.unknown(), previous_attributes: z.unknown().optional() }),
});

const amountFields = {
  unit_amount: z.number().nonnegative().nullish(),
  unit_amount_decimal: decimalString.nullish(),
};

const transformSchema = z.looseObject({
  divide_by: z.number().int().positive(),
  round: z.enum(['up', 'down']),
});

const priceSchema = z.looseObject({
  currency: z.string().nullish(),
  ...amountFields,
  recurring: z
    .looseObject({
      interval: z.enum(BILLING_INTERVALS),
      interval_count: z.number().int().positive().nullish(),
      usage_type: z.string().nullish(),
    })
    .nullish(),
  transform_quantity: transformSchema.nullish(),
  currency_options: z.record(z.string(), z.looseObject(amountFields)).nullish(),
});

/** The Plan object older integrations still carry on an item instead of (or beside) a Price. */
const legacyPlanSchema = z.looseObject({
  currency: z.string().nullish(),
  amount: z.number().nonnegative().nullish(),
  amount_decimal: decimalString.nullish(),
  interval: z.enum(BILLING_INTERVALS),
  interval_count: z.number().int().positive().nullish(),
  usage_type: z.string().nullish(),
  transform_usage: transformSchema.nullish(),
});

const itemSchema = z.looseObject({
  quantity: z.number().int().nonnegative().nullish(),
  price: priceSchema.nullish(),
  plan: z.unknown().optional(),
  current_period_end: unixSeconds.nullish(),
});

const subscriptionSchema = z.looseObject({
  id: z.string().min(1),
  customer: z.union([z.string().min(1), z.looseObject({ id: z.string().min(1) })]),
  status: z.string(),
  currency: z.string().regex(/^[A-Za-z]{3}$/, 'must be a three-letter currency code'),
  cancel_at_period_end: z.boolean().nullish(),
  cancel_at: unixSeconds.nullish(),
  canceled_at: unixSeconds.nullish(),
  ended_at: unixSeconds.nullish(),
  current_period_end: unixSeconds.nullish(),
  trial_end: unixSeconds.nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  items: z.looseObject({ data: z.array(itemSchema) }),
});

type StripeSubscription = z.infer<typeof subscriptionSchema>;
type StripeItem = z.infer<typeof itemSchema>;

/**
 * Statuses of a subscription that is (or is owed as) paying. `trialing` is not: a trial becomes `started` when it
 * converts, and a trial that ends without converting is not churn (docs/sources/billing.md#trials). `incomplete`,
 * `incomplete_expired` (first payment never made) and `paused` (trial ended without a payment method) are not either.
 */
const PAYING_STATUSES = new Set(['active', 'past_due', 'unpaid']);

const MAPPED_TYPES = new Set([
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
]);

function normalizeStripe(body: Buffer, options: StripeOptions): Normalization {
  const json = parseJsonBody(body);
  if (!json.ok) return json;
  const envelope = eventSchema.safeParse(json.value);
  if (!envelope.success) return invalidPayload('the body is not a Stripe event', envelope.error);
  const event = envelope.data;
  if (!MAPPED_TYPES.has(event.type)) return ignoredEvent(event.id);

  const parsed = subscriptionSchema.safeParse(event.data.object);
  if (!parsed.success) {
    return invalidPayload('data.object is not a Stripe subscription', parsed.error, ['data', 'object']);
  }
  const subscription = parsed.data;
  const customerId =
    typeof subscription.customer === 'string' ? subscription.customer : subscription.customer.id;
  const metadataKey = options.account_id_metadata_key;
  const accountId =
    (metadataKey ? identifierFrom(ownValue(subscription.metadata, metadataKey)) : undefined) ?? customerId;
  const envelopeFields = {
    id: event.id,
    occurred_at: isoFromUnixSeconds(event.created),
    account_id: accountId,
  };
  const revenue = () => ({
    mrr: mrrOf(recurringCharges(subscription)),
    currency: subscription.currency.toUpperCase(),
    subscription_id: subscription.id,
  });
  const canceledAt = (effectiveSeconds: number): CanonicalEvent => ({
    ...envelopeFields,
    type: 'subscription.canceled',
    data: { effective_at: isoFromUnixSeconds(effectiveSeconds), subscription_id: subscription.id },
  });

  if (event.type === 'customer.subscription.deleted') {
    const endedAt = subscription.ended_at ?? subscription.canceled_at ?? event.created;
    // A trial that ends without converting never started, so it does not churn either.
    if (subscription.trial_end != null && endedAt <= subscription.trial_end) return ignoredEvent(event.id);
    return mappedEvents([canceledAt(endedAt)], event.id);
  }
  if (!PAYING_STATUSES.has(subscription.status)) return ignoredEvent(event.id);
  if (event.type === 'customer.subscription.created') {
    return mappedEvents([{ ...envelopeFields, type: 'subscription.started', data: revenue() }], event.id);
  }

  // customer.subscription.updated: `previous_attributes` holds the old value of every field that changed.
  const previousStatus = ownValue(event.data.previous_attributes, 'status');
  if (typeof previousStatus === 'string' && !PAYING_STATUSES.has(previousStatus)) {
    // A trial converted, or a first payment finally succeeded: this is when the subscription starts paying.
    return mappedEvents([{ ...envelopeFields, type: 'subscription.started', data: revenue() }], event.id);
  }
  if (subscription.cancel_at != null || subscription.cancel_at_period_end === true) {
    const effective =
      subscription.cancel_at ??
      subscription.current_period_end ??
      latestItemPeriodEnd(subscription.items.data);
    return mappedEvents([canceledAt(effective ?? event.created)], event.id);
  }
  return mappedEvents([{ ...envelopeFields, type: 'subscription.changed', data: revenue() }], event.id);
}

/** Newer API versions keep the billing period on each item rather than on the subscription. */
function latestItemPeriodEnd(items: readonly StripeItem[]): number | undefined {
  const ends = items.map((item) => item.current_period_end).filter((end): end is number => end != null);
  return ends.length > 0 ? Math.max(...ends) : undefined;
}

/**
 * Every licensed (seat or flat) line of the subscription. Metered prices bill usage after the fact and tiered prices
 * have no unit amount on the subscription, so neither has an MRR to read here; discounts and taxes are not applied.
 */
export function recurringCharges(
  subscription: Pick<StripeSubscription, 'currency' | 'items'>,
): RecurringCharge[] {
  const currency = subscription.currency.toLowerCase();
  const decimals = stripeCurrencyDecimals(currency);
  const charges: RecurringCharge[] = [];
  for (const item of subscription.items.data) {
    const line = item.price ? priceLine(item.price, currency) : legacyPlanLine(item.plan, currency);
    if (!line) continue;
    const quantity = item.quantity ?? 1;
    const units = line.transform
      ? (line.transform.round === 'up' ? Math.ceil : Math.floor)(quantity / line.transform.divide_by)
      : quantity;
    charges.push({
      amount: majorUnits(line.unitAmount * units, decimals),
      interval: line.interval,
      intervalCount: line.intervalCount,
    });
  }
  return charges;
}

interface PriceLine {
  readonly unitAmount: number;
  readonly interval: RecurringCharge['interval'];
  readonly intervalCount: number;
  readonly transform: z.infer<typeof transformSchema> | null | undefined;
}

function unitAmountOf(amounts: {
  unit_amount?: number | null | undefined;
  unit_amount_decimal?: string | null | undefined;
}): number | undefined {
  if (amounts.unit_amount != null) return amounts.unit_amount;
  return amounts.unit_amount_decimal != null ? Number(amounts.unit_amount_decimal) : undefined;
}

function priceLine(price: z.infer<typeof priceSchema>, currency: string): PriceLine | undefined {
  if (!price.recurring || price.recurring.usage_type === 'metered') return undefined;
  // A multi-currency price keeps the subscription's currency under currency_options.
  const amounts =
    price.currency && price.currency.toLowerCase() !== currency
      ? ownValue(price.currency_options, currency)
      : price;
  if (!amounts) return undefined;
  const unitAmount = unitAmountOf(amounts as Parameters<typeof unitAmountOf>[0]);
  if (unitAmount === undefined) return undefined;
  return {
    unitAmount,
    interval: price.recurring.interval,
    intervalCount: price.recurring.interval_count ?? 1,
    transform: price.transform_quantity,
  };
}

function legacyPlanLine(plan: unknown, currency: string): PriceLine | undefined {
  const parsed = legacyPlanSchema.safeParse(plan);
  if (!parsed.success) return undefined;
  const legacy = parsed.data;
  if (legacy.usage_type === 'metered') return undefined;
  if (legacy.currency && legacy.currency.toLowerCase() !== currency) return undefined;
  const unitAmount = unitAmountOf({ unit_amount: legacy.amount, unit_amount_decimal: legacy.amount_decimal });
  if (unitAmount === undefined) return undefined;
  return {
    unitAmount,
    interval: legacy.interval,
    intervalCount: legacy.interval_count ?? 1,
    transform: legacy.transform_usage,
  };
}

export const stripeSource = defineSource<StripeOptions>({
  name: 'stripe',
  title: 'Stripe',
  contentTypes: ['application/json'],
  archivedHeaders: ['stripe-signature', 'user-agent'],
  optionsSchema: stripeOptionsSchema,
  verify: (request, secrets) => verifyTimestampedHmac(STRIPE_SIGNATURE, request, secrets),
  normalize: (body, context) => normalizeStripe(body, context.options),
});
