import { z } from 'zod';
import { COHORT_KINDS } from '../../queries/registry.js';
import { segmentParameter, segmentSchema } from './read-api-schemas.js';

/** GET /v1/cohorts/{kind}: its query and its response. The handler validates with these; openapi.ts publishes them. */

const cohortMonth = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$/, 'must be a month YYYY-MM (or a date YYYY-MM-DD)')
  .transform((text) => text.slice(0, 7));

export const cohortQuerySchema = z
  .object({
    from: cohortMonth.optional().describe('First cohort month to include, YYYY-MM (a date names its month).'),
    to: cohortMonth.optional().describe('Last cohort month to include, YYYY-MM (a date names its month).'),
    segment: segmentParameter.optional(),
  })
  .strict()
  .refine((query) => !query.from || !query.to || query.from <= query.to, {
    message: 'from must not be after to',
    path: ['from'],
  });

export const cohortRowSchema = z.object({
  cohort: z
    .string()
    .regex(/^\d{4}-\d{2}$/)
    .describe('The start month, YYYY-MM.'),
  size: z.number().int().describe('Accounts whose first subscription started that month.'),
  starting_mrr: z
    .number()
    .optional()
    .describe("Revenue cohorts: the cohort's new-business MRR, what the percentages are of."),
  retention: z
    .array(z.number())
    .describe(
      'Percent retained at the end of month k after the start month, k = 0 the start month itself; only months that have ended.',
    ),
});

export const cohortResponseSchema = z.object({
  kind: z.enum(COHORT_KINDS),
  segment: segmentSchema.nullable(),
  computed_at: z.iso
    .datetime()
    .nullable()
    .describe('When the cohorts were last aggregated; null when there are none yet.'),
  cohorts: z.array(cohortRowSchema).describe('Ascending by cohort month.'),
});
