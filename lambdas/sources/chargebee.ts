import { z } from 'zod';
import type { CanonicalEvent } from '../domain/canonical-events.js';
import {
  BILLING_INTERVALS,
  type BillingInterval,
  ISO_ZERO_DECIMAL_CURRENCIES,
  majorUnits,
  mrrOf,
  type RecurringCharge,
  roundMrr,
} from '../domain/recurring-revenue.js';
import { parseJsonBody } from './json-body.js';
import { verifyBasicAuth } from './schemes/basic-auth.js';
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
 * Chargebee (docs/sources/billing.md#chargebee): subscription lifecycle events become subscription events with the
 * subscription's MRR. Chargebee signs nothing; its webhook carries HTTP Basic credentials set on the endpoint, so
 * each configured secret is a `username:password` string. The Authorization header is never archived.
 */

/**
 * Chargebee amounts ("in cents") are hundredths for every currency except its zero-decimal ones, which are whole
 * units (apidocs.chargebee.com/docs/api/currencies).
 */
export function chargebeeCurrencyDecimals(currency: string): number {
  return ISO_ZERO_DECIMAL_CURRENCIES.has(currency.toUpperCase()) ? 0 : 2;
}

export const chargebeeOptionsSchema = z
  .object({
    account_id_customer_field: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe(
        'Customer attribute holding your account id, usually a custom field such as "cf_account_id".',
      ),
    account_id_metadata_key: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe("Key of the customer's meta_data holding your account id."),
  })
  .strict()
  .refine((options) => !(options.account_id_customer_field && options.account_id_metadata_key), {
    message: 'set account_id_customer_field or account_id_metadata_key, not both',
  });

export type ChargebeeOptions = z.infer<typeof chargebeeOptionsSchema>;

const eventSchema = z.looseObject({
  id: z.string().min(1).max(256),
  event_type: z.string().min(1),
  occurred_at: unixSeconds,
  content: z.unknown(),
});

const contentSchema = z.looseObject({
  subscription: z.unknown(),
  customer: z.unknown().optional(),
});

const periodFields = {
  billing_period: z.number().int().positive().nullish(),
  billing_period_unit: z.enum(BILLING_INTERVALS).nullish(),
};

const itemSchema = z.looseObject({
  item_type: z.string().nullish(),
  quantity: z.number().nonnegative().nullish(),
  quantity_in_decimal: decimalString.nullish(),
  unit_price: z.number().nonnegative().nullish(),
  unit_price_in_decimal: decimalString.nullish(),
  amount: z.number().nonnegative().nullish(),
  amount_in_decimal: decimalString.nullish(),
  ...periodFields,
});

const addonSchema = z.looseObject({
  quantity: z.number().nonnegative().nullish(),
  quantity_in_decimal: decimalString.nullish(),
  unit_price: z.number().nonnegative().nullish(),
  unit_price_in_decimal: decimalString.nullish(),
  amount: z.number().nonnegative().nullish(),
  amount_in_decimal: decimalString.nullish(),
});

const subscriptionSchema = z.looseObject({
  id: z.string().min(1),
  customer_id: z.string().min(1),
  status: z.string(),
  currency_code: z.string().regex(/^[A-Za-z]{3}$/, 'must be a three-letter currency code'),
  mrr: z.number().nonnegative().nullish(),
  cancelled_at: unixSeconds.nullish(),
  current_term_end: unixSeconds.nullish(),
  trial_end: unixSeconds.nullish(),
  ...periodFields,
  // Product Catalog 2.0: every plan, addon and charge is an item.
  subscription_items: z.array(itemSchema).nullish(),
  // Product Catalog 1.0: one plan and its addons.
  plan_quantity: z.number().nonnegative().nullish(),
  plan_quantity_in_decimal: decimalString.nullish(),
  plan_unit_price: z.number().nonnegative().nullish(),
  plan_unit_price_in_decimal: decimalString.nullish(),
  plan_amount: z.number().nonnegative().nullish(),
  plan_amount_in_decimal: decimalString.nullish(),
  addons: z.array(addonSchema).nullish(),
});

type ChargebeeSubscription = z.infer<typeof subscriptionSchema>;

/**
 * `in_trial` and `future` subscriptions do not pay yet; they start when `subscription_activated` or
 * `subscription_started` says they do (docs/sources/billing.md#trials).
 */
const NOT_PAYING_STATUSES = new Set(['in_trial', 'future']);

const STARTING_TYPES = new Set([
  'subscription_created',
  'subscription_started',
  'subscription_activated',
  'subscription_reactivated',
]);
const CHANGING_TYPES = new Set(['subscription_changed', 'subscription_scheduled_cancellation_removed']);
const CANCELING_TYPES = new Set(['subscription_cancelled', 'subscription_cancellation_scheduled']);

function normalizeChargebee(body: Buffer, options: ChargebeeOptions): Normalization {
  const json = parseJsonBody(body);
  if (!json.ok) return json;
  const envelope = eventSchema.safeParse(json.value);
  if (!envelope.success) return invalidPayload('the body is not a Chargebee event', envelope.error);
  const event = envelope.data;
  const type = event.event_type;
  if (!STARTING_TYPES.has(type) && !CHANGING_TYPES.has(type) && !CANCELING_TYPES.has(type)) {
    return ignoredEvent(event.id);
  }
  const content = contentSchema.safeParse(event.content);
  if (!content.success)
    return invalidPayload('content is not a Chargebee event content', content.error, ['content']);
  const parsed = subscriptionSchema.safeParse(content.data.subscription);
  if (!parsed.success) {
    return invalidPayload('content.subscription is not a Chargebee subscription', parsed.error, [
      'content',
      'subscription',
    ]);
  }
  const subscription = parsed.data;
  const envelopeFields = {
    id: event.id,
    occurred_at: isoFromUnixSeconds(event.occurred_at),
    account_id: accountIdOf(content.data.customer, options) ?? subscription.customer_id,
  };

  if (CANCELING_TYPES.has(type)) {
    // cancelled_at is when service ends, already set for a cancellation scheduled at the end of the term.
    const effective = subscription.cancelled_at ?? subscription.current_term_end ?? event.occurred_at;
    // A trial cancelled before it converts never started, so it does not churn either.
    if (subscription.status === 'in_trial') return ignoredEvent(event.id);
    if (subscription.trial_end != null && effective <= subscription.trial_end) return ignoredEvent(event.id);
    const cancellation: CanonicalEvent = {
      ...envelopeFields,
      type: 'subscription.canceled',
      data: { effective_at: isoFromUnixSeconds(effective), subscription_id: subscription.id },
    };
    return mappedEvents([cancellation], event.id);
  }
  if (NOT_PAYING_STATUSES.has(subscription.status)) return ignoredEvent(event.id);
  const mrr = subscriptionMrr(subscription);
  if (!mrr.ok) return mrr.problem;
  return mappedEvents(
    [
      {
        ...envelopeFields,
        type: STARTING_TYPES.has(type) ? 'subscription.started' : 'subscription.changed',
        data: {
          mrr: mrr.value,
          currency: subscription.currency_code.toUpperCase(),
          subscription_id: subscription.id,
        },
      },
    ],
    event.id,
  );
}

function accountIdOf(customer: unknown, options: ChargebeeOptions): string | undefined {
  if (options.account_id_customer_field) {
    return identifierFrom(ownValue(customer, options.account_id_customer_field));
  }
  if (options.account_id_metadata_key) {
    return identifierFrom(ownValue(ownValue(customer, 'meta_data'), options.account_id_metadata_key));
  }
  return identifierFrom(ownValue(customer, 'id'));
}

/** Chargebee's own `mrr` (in cents) when the subscription carries it; otherwise computed from its items. */
export function subscriptionMrr(
  subscription: ChargebeeSubscription,
): { ok: true; value: number } | { ok: false; problem: Normalization } {
  const decimals = chargebeeCurrencyDecimals(subscription.currency_code);
  if (subscription.mrr != null) return { ok: true, value: roundMrr(majorUnits(subscription.mrr, decimals)) };
  const charges = recurringCharges(subscription);
  return charges.ok ? { ok: true, value: mrrOf(charges.value) } : charges;
}

interface PricedLine {
  quantity?: number | null | undefined;
  quantity_in_decimal?: string | null | undefined;
  unit_price?: number | null | undefined;
  unit_price_in_decimal?: string | null | undefined;
  amount?: number | null | undefined;
  amount_in_decimal?: string | null | undefined;
}

/**
 * The amount of one line per billing period, in major units: its total when Chargebee gives one (tiered and volume
 * prices have no single unit price), else unit price times quantity. `_in_decimal` fields are already major units.
 */
function lineAmount(line: PricedLine, decimals: number): number | undefined {
  if (line.amount_in_decimal != null) return Number(line.amount_in_decimal);
  if (line.amount != null) return majorUnits(line.amount, decimals);
  const quantity = line.quantity_in_decimal != null ? Number(line.quantity_in_decimal) : (line.quantity ?? 1);
  if (line.unit_price_in_decimal != null) return Number(line.unit_price_in_decimal) * quantity;
  if (line.unit_price != null) return majorUnits(line.unit_price, decimals) * quantity;
  return undefined;
}

/** Plan and addon lines (one-time charges bill once and are left out), each per its billing period. */
export function recurringCharges(
  subscription: ChargebeeSubscription,
): { ok: true; value: RecurringCharge[] } | { ok: false; problem: Normalization } {
  const decimals = chargebeeCurrencyDecimals(subscription.currency_code);
  const lines: { line: PricedLine; period?: number | null; unit?: BillingInterval | null; path: string }[] =
    [];
  if (subscription.subscription_items) {
    for (const [index, item] of subscription.subscription_items.entries()) {
      if (item.item_type === 'charge') continue;
      lines.push({
        line: item,
        period: item.billing_period,
        unit: item.billing_period_unit,
        path: `content.subscription.subscription_items[${index}]`,
      });
    }
  } else {
    lines.push({
      line: {
        quantity: subscription.plan_quantity,
        quantity_in_decimal: subscription.plan_quantity_in_decimal,
        unit_price: subscription.plan_unit_price,
        unit_price_in_decimal: subscription.plan_unit_price_in_decimal,
        amount: subscription.plan_amount,
        amount_in_decimal: subscription.plan_amount_in_decimal,
      },
      path: 'content.subscription',
    });
    for (const [index, addon] of (subscription.addons ?? []).entries()) {
      lines.push({ line: addon, path: `content.subscription.addons[${index}]` });
    }
  }
  const charges: RecurringCharge[] = [];
  for (const { line, period, unit, path } of lines) {
    const amount = lineAmount(line, decimals);
    if (amount === undefined) continue;
    // Addons bill with the subscription, so they have no period of their own.
    const interval = unit ?? subscription.billing_period_unit;
    if (!interval) {
      const problem: Normalization = {
        ok: false,
        status: 422,
        detail: 'the subscription has no billing period to bring its price to a month',
        errors: [{ path: `${path}.billing_period_unit`, message: 'missing (and none on the subscription)' }],
      };
      return { ok: false, problem };
    }
    charges.push({ amount, interval, intervalCount: period ?? subscription.billing_period ?? 1 });
  }
  return { ok: true, value: charges };
}

export const chargebeeSource = defineSource<ChargebeeOptions>({
  name: 'chargebee',
  title: 'Chargebee',
  contentTypes: ['application/json'],
  // Never `authorization`: it is the credential itself.
  archivedHeaders: ['user-agent'],
  optionsSchema: chargebeeOptionsSchema,
  verify: (request, secrets) => verifyBasicAuth(request, secrets),
  normalize: (body, context) => normalizeChargebee(body, context.options),
});
