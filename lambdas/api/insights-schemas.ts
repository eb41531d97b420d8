import { z } from 'zod';
import { segmentSchema } from './read-api-schemas.js';

/** The inputs and outputs of the survival and churn-driver endpoints; openapi.ts publishes them. */

const interval = z.tuple([z.number(), z.number()]);

export const survivalQuerySchema = z
  .object({
    segment: z
      .string()
      .min(1)
      .regex(/^[^:]+$/, 'a segment key alone, such as plan (not plan:pro)')
      .optional()
      .describe('Compare the values of this segment key (plan or an attribute key); omit for all accounts.'),
  })
  .strict();

export const survivalResponseSchema = z.object({
  segment_key: z.string().nullable(),
  as_of: z.iso
    .datetime()
    .describe('Data before this instant counted; accounts still active then are censored.'),
  computed_at: z.iso.datetime(),
  time_unit: z.literal('day'),
  band: z
    .literal('log-log')
    .describe('95% band: Greenwood’s variance on the log(−log S) scale (Kalbfleisch & Prentice).'),
  curves: z.array(
    z.object({
      segment: segmentSchema.nullable(),
      accounts: z.number().int(),
      churned: z.number().int(),
      median_days: z.number().nullable().describe('First t where survival is at most 0.5; null while above.'),
      points: z
        .array(
          z.object({
            t: z.number().int().describe('Days since the first subscription start.'),
            survival: z.number().min(0).max(1),
            at_risk: z.number().int(),
            events: z.number().int().describe('Accounts that churned on day t.'),
            censored: z.number().int().describe('Accounts still active whose time is t.'),
            ci95: interval.nullable().describe('Null where survival is 1 or 0.'),
          }),
        )
        .describe('One point per day on which an account churned or was censored, ascending; S(0⁻) = 1.'),
    }),
  ),
  test: z
    .object({
      method: z.string().describe('log-rank (two values, exact) or its Peto approximation (three or more).'),
      statistic: z.number(),
      df: z.number().int(),
      p_value: z.number(),
      significant: z.boolean().describe('p < 0.05'),
      groups: z.array(z.object({ value: z.string(), observed: z.number(), expected: z.number() })),
    })
    .nullable()
    .describe('Log-rank test between the values; null for all accounts, one value, or no churn.'),
});

export const churnDriversQuerySchema = z.object({}).strict();

const churnRate = {
  responses: z.number().int(),
  churned: z.number().int(),
  churn_rate: z.number().describe('Percent of these accounts that churned within the horizon.'),
  ci95: interval.describe('Wilson 95% interval of churn_rate.'),
};

const surveyDrivers = z
  .object({
    ...churnRate,
    auc: z
      .object({ value: z.number(), se: z.number(), ci95: interval })
      .nullable()
      .describe(
        'Probability that a churned account scored lower than a retained one (ties count half): 0.5 is chance. ' +
          'Hanley–McNeil standard error and 95% interval. Null without both churned and retained accounts.',
      ),
    bands: z.array(z.object({ band: z.string(), ...churnRate })),
  })
  .nullable();

export const churnDriversResponseSchema = z.object({
  as_of: z.iso.datetime(),
  computed_at: z.iso.datetime(),
  horizon_days: z
    .number()
    .int()
    .describe('A response is followed by churn when the account left within this.'),
  surveys: z.object({ nps: surveyDrivers, ces: surveyDrivers, csat: surveyDrivers }),
  ces_vs_nps: z.object({
    answer: z.enum(['ces', 'nps', 'no_difference', 'insufficient_data']),
    verdict: z.string().describe('Does CES predict churn better than NPS on this data, in one sentence.'),
    auc_difference: z.number().nullable().describe('AUC(CES) − AUC(NPS).'),
    ci95: interval.nullable(),
  }),
  arr_at_risk: z.array(
    z.object({
      currency: z.string().nullable(),
      accounts_at_risk: z.number().int(),
      detractor_accounts: z.number().int(),
      high_effort_accounts: z.number().int(),
      arr_at_risk: z
        .number()
        .describe('MRR × 12 of active accounts whose latest NPS is 0–6 or latest CES ≤ 3.'),
      active_accounts: z.number().int(),
      total_arr: z.number(),
    }),
  ),
});
