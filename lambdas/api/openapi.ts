import { z } from 'zod';
import { COHORT_KINDS, KPI_QUERIES } from '../../queries/registry.js';
import { genericWebhookBodySchema } from '../domain/canonical-events.js';
import { WEBHOOK_SOURCES } from '../sources/registry.js';
import { cohortQuerySchema, cohortResponseSchema } from './cohort-schemas.js';
import {
  churnDriversResponseSchema,
  survivalQuerySchema,
  survivalResponseSchema,
} from './insights-schemas.js';
import {
  currentQuerySchema,
  currentResponseSchema,
  metricIds,
  problemSchema,
  seriesGrainSchema,
  seriesResponseSchema,
} from './read-api-schemas.js';

/** JSON Schema (draft 2020-12, as OpenAPI 3.1 uses) of a zod schema, as the request or response body. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest;
}

/** The JSON Schema of the generic webhook body, published as docs/schemas/generic-webhook.schema.json. */
export function genericWebhookJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://github.com/cs-pulse/cs-pulse/blob/main/docs/schemas/generic-webhook.schema.json',
    title: 'cs-pulse generic webhook body',
    description: 'One canonical event, or {"events": [...]} with up to 500. See docs/generic-webhook.md.',
    ...jsonSchema(genericWebhookBodySchema, 'input'),
  };
}

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** The OpenAPI 3.1 document of the HTTP API, generated from the same zod schemas the handlers validate with. */
export function openApiDocument(serverUrl?: string): Record<string, unknown> {
  const seriesParameters = [
    { name: 'metric', in: 'path', required: true, schema: { type: 'string', enum: metricIds } },
    { name: 'grain', in: 'query', schema: jsonSchema(seriesGrainSchema) },
    {
      name: 'from',
      in: 'query',
      schema: { type: 'string', format: 'date' },
      description: 'First period start.',
    },
    {
      name: 'to',
      in: 'query',
      schema: { type: 'string', format: 'date' },
      description: 'Last period start.',
    },
    {
      name: 'segment',
      in: 'query',
      schema: { type: 'string', pattern: '^[^:]+:.+$' },
      description: 'key:value, such as plan:pro or region:emea.',
    },
  ];
  return {
    openapi: '3.1.0',
    info: {
      title: 'cs-pulse',
      version: '0.1.0',
      description: 'Customer-success KPIs (churn, NPS, CES, CSAT) computed from signed vendor webhooks.',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    security: [{ bearer: [] }],
    paths: {
      '/webhooks/{source}': {
        post: {
          summary: 'Deliver a signed webhook',
          description: `Sources: ${WEBHOOK_SOURCES.map((s) => s.name).join(', ')}. Each authenticates with its vendor's own scheme; the generic source uses Standard Webhooks.`,
          security: [],
          parameters: [
            {
              name: 'source',
              in: 'path',
              required: true,
              schema: { type: 'string', enum: WEBHOOK_SOURCES.map((s) => s.name) },
            },
          ],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/GenericWebhookBody' } } },
          },
          responses: {
            202: {
              description: 'Every event is durably stored.',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      accepted: { type: 'integer' },
                      ignored: { type: 'integer' },
                      delivery_id: { type: 'string' },
                    },
                    required: ['accepted', 'ignored', 'delivery_id'],
                  },
                },
              },
            },
            400: problem('Malformed body (kept, quarantined).'),
            401: problem('Missing, wrong or stale signature (nothing stored).'),
            404: problem('Unknown source.'),
            405: problem('Not POST.'),
            413: problem('Body over the limit.'),
            415: problem('Not a content type the source sends (kept, quarantined).'),
            422: problem('Schema violation, every failing field listed (kept, quarantined).'),
            503: problem('No signing secret is configured for the source; the sender should retry.'),
          },
        },
      },
      '/v1/kpis': {
        get: {
          summary: 'Current KPIs',
          description: 'The latest complete and the current period of every metric, for all accounts.',
          parameters: [{ name: 'grain', in: 'query', schema: jsonSchema(currentQuerySchema.shape.grain) }],
          responses: {
            200: {
              description: 'The current KPIs.',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/CurrentKpis' } } },
            },
            400: problem('A bad parameter.'),
            401: problem('Missing or wrong bearer token.'),
          },
        },
      },
      '/v1/kpis/{metric}': {
        get: {
          summary: "One metric's series",
          description: KPI_QUERIES.map((q) => `${q.id}: ${q.description}`).join('\n'),
          parameters: seriesParameters,
          responses: {
            200: {
              description: 'Points ascending by period.',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/KpiSeries' } } },
            },
            400: problem('A bad parameter.'),
            401: problem('Missing or wrong bearer token.'),
            404: problem('Unknown metric.'),
          },
        },
      },
      '/v1/cohorts/{kind}': {
        get: {
          summary: 'Retention by start-month cohort',
          description:
            "logo: percent of each cohort's accounts still active at the end of each month since its start month. " +
            "revenue: the cohort accounts' MRR then, in percent of their starting (new-business) MRR (ChartMogul).",
          parameters: [
            { name: 'kind', in: 'path', required: true, schema: { type: 'string', enum: [...COHORT_KINDS] } },
            ...(['from', 'to', 'segment'] as const).map((name) => ({
              name,
              in: 'query',
              schema: jsonSchema(cohortQuerySchema.shape[name], 'input'),
            })),
          ],
          responses: {
            200: {
              description: 'Cohorts ascending by month.',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/CohortTable' } } },
            },
            400: problem('A bad parameter.'),
            401: problem('Missing or wrong bearer token.'),
            404: problem('Unknown cohort kind.'),
          },
        },
      },
      '/v1/survival': {
        get: {
          summary: 'Survival of accounts',
          description:
            'Kaplan–Meier curves of days from the first subscription start to churn (still-active accounts censored), ' +
            'with a log-log 95% band on Greenwood’s variance; with `segment`, one curve per value and a log-rank test.',
          parameters: [
            { name: 'segment', in: 'query', schema: jsonSchema(survivalQuerySchema.shape.segment) },
          ],
          responses: {
            200: {
              description: 'The curves and the test.',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Survival' } } },
            },
            400: problem('A bad parameter.'),
            401: problem('Missing or wrong bearer token.'),
            404: problem('No account has that segment key, or nothing was aggregated yet.'),
          },
        },
      },
      '/v1/insights/churn-drivers': {
        get: {
          summary: 'Churn drivers',
          description:
            'Churn within the horizon after a survey answer by NPS category, CES band and CSAT band; the AUC of each ' +
            'score as a predictor of that churn; whether CES predicts it better than NPS; and the ARR at risk.',
          responses: {
            200: {
              description: 'The churn drivers.',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/ChurnDrivers' } } },
            },
            400: problem('A parameter was given (there are none).'),
            401: problem('Missing or wrong bearer token.'),
            404: problem('Nothing was aggregated yet.'),
          },
        },
      },
      '/v1/openapi.json': {
        get: { summary: 'This document', security: [], responses: { 200: { description: 'OpenAPI 3.1' } } },
      },
      '/healthz': { get: { summary: 'Liveness', security: [], responses: { 200: { description: 'Up' } } } },
    },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'CS_PULSE_API_TOKEN on the local server; on AWS, IAM (SigV4) or JWT.',
        },
      },
      schemas: {
        GenericWebhookBody: jsonSchema(genericWebhookBodySchema, 'input'),
        KpiSeries: jsonSchema(seriesResponseSchema),
        CurrentKpis: jsonSchema(currentResponseSchema),
        CohortTable: jsonSchema(cohortResponseSchema),
        Problem: jsonSchema(problemSchema),
        Survival: jsonSchema(survivalResponseSchema),
        ChurnDrivers: jsonSchema(churnDriversResponseSchema),
      },
    },
  };
}
