import { z } from 'zod';
import { KPI_QUERIES, KPI_UNITS } from '../../queries/registry.js';
import { GRAINS } from '../kpis/kpi-point.js';

/** The read API's inputs and outputs. The handlers validate with these, and openapi.ts publishes them. */

const isoDay = z.iso.date().describe('A calendar date, YYYY-MM-DD (UTC).');

export const metricIds = KPI_QUERIES.map((query) => query.id) as [string, ...string[]];

export const segmentParameter = z
  .string()
  .regex(/^[^:]+:.+$/, 'must be key:value, such as plan:pro')
  .transform((text) => {
    const colon = text.indexOf(':');
    return { key: text.slice(0, colon), value: text.slice(colon + 1) };
  })
  .describe('Slice by a segment: `plan:<plan>` or `<attribute key>:<value>`.');

export const seriesGrainSchema = z
  .enum(GRAINS)
  .default('month')
  .describe('month or quarter; rolling_30d and rolling_90d: one trailing window per aggregation date.');

export const seriesQuerySchema = z
  .object({
    grain: seriesGrainSchema,
    from: isoDay.optional().describe('First period start to include (default: the earliest).'),
    to: isoDay.optional().describe('Last period start to include (default: the latest).'),
    segment: segmentParameter.optional(),
  })
  .strict()
  .refine((query) => !query.from || !query.to || query.from <= query.to, {
    message: 'from must not be after to',
    path: ['from'],
  });

export const currentQuerySchema = z.object({ grain: z.enum(GRAINS).default('month') }).strict();

export const segmentSchema = z.object({ key: z.string(), value: z.string() });

export const kpiPointSchema = z.object({
  period_start: isoDay,
  value: z.number(),
  n: z
    .number()
    .int()
    .describe(
      'Responses; customers at the start for churn and retention rates; accounts active at the start or end for mrr and active_accounts.',
    ),
  ci95: z
    .tuple([z.number(), z.number()])
    .nullable()
    .describe('95% confidence interval; null when n is too small.'),
  components: z.record(z.string(), z.number().nullable()),
  change: z
    .number()
    .nullable()
    .describe(
      "value minus the previous period's value in the same segment; null when that period has no data.",
    ),
  change_significant: z
    .boolean()
    .nullable()
    .describe('Whether the change is significant at 95% by the metric’s two-sample test (docs/kpis.md).'),
  low_sample: z
    .boolean()
    .describe(
      'Fewer responses (customers, for churn) than CS_PULSE_LOW_SAMPLE_MIN: read the interval first.',
    ),
  complete: z.boolean().describe('Whether the period had ended when it was computed.'),
  computed_at: z.iso.datetime(),
});

export const seriesResponseSchema = z.object({
  metric: z.enum(metricIds),
  title: z.string(),
  unit: z.enum(KPI_UNITS),
  grain: z.enum(GRAINS),
  segment: segmentSchema.nullable(),
  points: z.array(kpiPointSchema).describe('Ascending by period; only periods with data.'),
});

export const currentResponseSchema = z.object({
  grain: z.enum(GRAINS),
  computed_at: z.iso
    .datetime()
    .nullable()
    .describe('When the KPIs were last aggregated; null before the first run.'),
  metrics: z.record(
    z.enum(metricIds),
    z.object({
      title: z.string(),
      unit: z.enum(KPI_UNITS),
      latest_complete: kpiPointSchema.nullable(),
      current: kpiPointSchema.nullable(),
    }),
  ),
});

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
