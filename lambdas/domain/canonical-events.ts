import { z } from 'zod';

/**
 * The canonical events every source is normalized into. The generic webhook accepts exactly this shape, and each
 * vendor source maps its own payloads onto it, so everything downstream (lake tables, SQL, KPIs) sees one model.
 */

/** Default scale of each survey type: NPS is Bain's 0–10, CES is Gartner's CES 2.0 1–7, CSAT is the 1–5 scale. */
export const DEFAULT_SURVEY_SCALES = {
  nps: { min: 0, max: 10 },
  ces: { min: 1, max: 7 },
  csat: { min: 1, max: 5 },
} as const;

export const SURVEY_TYPES = ['nps', 'ces', 'csat'] as const;
export type SurveyType = (typeof SURVEY_TYPES)[number];

/** ISO-8601 date-time with an explicit offset (`Z` or `+02:00`), so that no timestamp depends on a server's zone. */
const isoDateTime = z.iso.datetime({ offset: true });

const identifier = z.string().trim().min(1).max(256);

export const accountUpdatedData = z
  .object({
    name: z.string().max(1024).optional(),
    plan: z.string().min(1).max(256).optional(),
    attributes: z
      .record(
        z
          .string()
          .min(1)
          .max(128)
          .refine((key) => key !== 'plan', { message: '"plan" is reserved: send it as data.plan' }),
        z.string().max(1024),
      )
      .optional()
      .describe('Segment attributes (region, industry, size band…). KPIs are sliced by each key.'),
  })
  .strict();

export const subscriptionRevenueData = z
  .object({
    mrr: z
      .number()
      .finite()
      .nonnegative()
      .describe('Monthly recurring revenue after the event, in major units.'),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO-4217 code in upper case, such as "USD"')
      .describe('ISO-4217 currency code.'),
    subscription_id: identifier
      .optional()
      .describe('Tells apart several subscriptions of one account; defaults to the account id.'),
  })
  .strict();

export const subscriptionCanceledData = z
  .object({
    effective_at: isoDateTime.optional().describe('When service ends; defaults to occurred_at.'),
    subscription_id: identifier.optional(),
  })
  .strict();

export const surveyRespondedData = z
  .object({
    survey: z.enum(SURVEY_TYPES),
    score: z.number().finite(),
    scale_min: z.number().finite().optional(),
    scale_max: z.number().finite().optional(),
    respondent_id: z.string().max(256).optional(),
    comment: z.string().max(10_000).optional(),
    touchpoint: z.string().max(256).optional(),
  })
  .strict()
  .superRefine((response, ctx) => {
    const defaults = DEFAULT_SURVEY_SCALES[response.survey];
    const min = response.scale_min ?? defaults.min;
    const max = response.scale_max ?? defaults.max;
    if (min >= max) {
      ctx.addIssue({
        code: 'custom',
        path: ['scale_max'],
        message: `scale_max (${max}) must exceed scale_min (${min})`,
      });
      return;
    }
    if (response.score < min || response.score > max) {
      ctx.addIssue({
        code: 'custom',
        path: ['score'],
        message: `score ${response.score} is outside the ${response.survey} scale ${min}–${max}`,
      });
    }
  });

const envelope = {
  id: identifier.describe(
    "The sender's unique event id: the same (source, id) counts once, however often sent.",
  ),
  occurred_at: isoDateTime,
  account_id: identifier,
};

export const canonicalEventSchema = z.discriminatedUnion('type', [
  z.object({ ...envelope, type: z.literal('account.updated'), data: accountUpdatedData }).strict(),
  z.object({ ...envelope, type: z.literal('subscription.started'), data: subscriptionRevenueData }).strict(),
  z.object({ ...envelope, type: z.literal('subscription.changed'), data: subscriptionRevenueData }).strict(),
  z
    .object({ ...envelope, type: z.literal('subscription.canceled'), data: subscriptionCanceledData })
    .strict(),
  z.object({ ...envelope, type: z.literal('survey.responded'), data: surveyRespondedData }).strict(),
]);

export type CanonicalEvent = z.infer<typeof canonicalEventSchema>;
export type CanonicalEventType = CanonicalEvent['type'];

export const MAX_EVENTS_PER_BATCH = 500;

/** The generic webhook body: one event, or a batch of up to 500. */
export const genericWebhookBodySchema = z.union([
  canonicalEventSchema,
  z.object({ events: z.array(canonicalEventSchema).min(1).max(MAX_EVENTS_PER_BATCH) }).strict(),
]);

export type GenericWebhookBody = z.infer<typeof genericWebhookBodySchema>;
