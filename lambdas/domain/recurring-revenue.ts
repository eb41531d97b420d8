/**
 * Monthly recurring revenue arithmetic shared by the billing sources: a price billed every N days, weeks, months or
 * years becomes a monthly amount, and an amount in a currency's minor unit (cents) becomes major units (dollars).
 */

export const BILLING_INTERVALS = ['day', 'week', 'month', 'year'] as const;
export type BillingInterval = (typeof BILLING_INTERVALS)[number];

/**
 * How many months one interval lasts. A year is 12 months, a week 12/52 of one and a day 12/365: the calendar
 * averages, so a weekly price of 10 is 43.33 a month and a daily price of 1 is 30.42 a month.
 */
const MONTHS_PER_INTERVAL: Readonly<Record<BillingInterval, number>> = {
  day: 12 / 365,
  week: 12 / 52,
  month: 1,
  year: 12,
};

/** The monthly equivalent of an amount billed once every `count` intervals. */
export function monthlyAmount(amountPerPeriod: number, interval: BillingInterval, count: number): number {
  return amountPerPeriod / (MONTHS_PER_INTERVAL[interval] * count);
}

/** One recurring line of a subscription (a price times its quantity), in major units per billing period. */
export interface RecurringCharge {
  readonly amount: number;
  readonly interval: BillingInterval;
  readonly intervalCount: number;
}

/** The MRR of a subscription: every recurring line brought to a month, summed, and rounded as stored. */
export function mrrOf(charges: readonly RecurringCharge[]): number {
  let total = 0;
  for (const charge of charges) total += monthlyAmount(charge.amount, charge.interval, charge.intervalCount);
  return roundMrr(total);
}

/**
 * ISO 4217 currencies whose minor unit is the major unit (exponent 0). Paddle and Chargebee express amounts in the
 * currency's smallest unit, so these are the ones not divided by 100.
 */
export const ISO_ZERO_DECIMAL_CURRENCIES: ReadonlySet<string> = new Set([
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'ISK',
  'JPY',
  'KMF',
  'KRW',
  'PYG',
  'RWF',
  'UGX',
  'UYI',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
]);

/** An amount in a currency's minor unit, in major units: 1999 cents with 2 decimals is 19.99. */
export function majorUnits(minorAmount: number, decimals: number): number {
  return minorAmount / 10 ** decimals;
}

/**
 * MRR as stored: four decimal places, enough that summing thousands of subscriptions loses nothing visible, and no
 * binary-fraction noise such as 33.333333333333336 in the lake.
 */
export function roundMrr(amount: number): number {
  return Math.round(amount * 10_000) / 10_000;
}
