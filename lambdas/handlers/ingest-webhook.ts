import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { HttpProblem, jsonResponse } from '../http/problem.js';
import { problemDetails } from '../http/problem-middleware.js';
import { webhookRequestOf } from '../http/webhook-request.js';
import { type IngestDependencies, ingestWebhook } from '../ingest/ingest-webhook.js';
import type { Clock } from '../ports/clock.js';
import { ingestDependenciesFromEnvironment } from '../runtime/environment.js';
import { lazily } from '../runtime/lazily.js';
import {
  lambdaObservability,
  METRIC_NAMES,
  MetricUnit,
  type Observability,
  observed,
} from '../runtime/observability.js';
import { findSource } from '../sources/registry.js';

/** `ANY /webhooks/{source}`: one signed delivery from a CRM, billing or survey tool. */
export function createIngestWebhookHandler(
  dependencies: () => Promise<IngestDependencies & { clock: Clock; lakeStartDate?: string }>,
  observability: Observability = lambdaObservability(),
) {
  const { logger, metrics } = observability;
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(observed(observability, { recordsMetrics: true }))
    .use(problemDetails(logger))
    .handler(async (event) => {
      const deps = await dependencies();
      const sourceName = event.pathParameters?.source ?? '';
      // Metadata, not a dimension: a path segment anyone can send must not become a metric of its own.
      metrics?.addMetadata('source', sourceName.slice(0, 64));
      try {
        const request = webhookRequestOf(event, deps.clock.now());
        const { outcome, earliestPartition } = await ingestWebhook(sourceName, request, deps);
        if (deps.lakeStartDate && earliestPartition && earliestPartition < deps.lakeStartDate)
          recordBeforeLakeStart(observability, sourceName, earliestPartition, deps.lakeStartDate);
        metrics?.addMetric(METRIC_NAMES.webhookEventsAccepted, MetricUnit.Count, outcome.accepted);
        metrics?.addMetric(METRIC_NAMES.webhookEventsIgnored, MetricUnit.Count, outcome.ignored);
        const acknowledgement = findSource(sourceName)?.acknowledge?.(outcome);
        return acknowledgement
          ? { ...acknowledgement, headers: { ...acknowledgement.headers } }
          : jsonResponse(202, outcome);
      } catch (error) {
        if (error instanceof HttpProblem && error.status < 500)
          recordRefusal(observability, sourceName, error);
        else recordServerError(observability, sourceName, error);
        throw error;
      }
    });
}

/** A refused delivery: counted, and logged with why, so an operator can tell a misconfigured sender from noise. */
function recordRefusal({ logger, metrics }: Observability, source: string, problem: HttpProblem): void {
  metrics?.addMetric(METRIC_NAMES.webhooksRejected, MetricUnit.Count, 1);
  if (problem.status === 401) metrics?.addMetric(METRIC_NAMES.webhookSignaturesRejected, MetricUnit.Count, 1);
  metrics?.addMetadata('status', String(problem.status));
  // A 401 is worth a warning: it is what a signing secret rotated on one side only looks like.
  const log = problem.status === 401 ? logger.warn.bind(logger) : logger.info.bind(logger);
  log('webhook refused', {
    source: source.slice(0, 64),
    status: problem.status,
    problem: problem.slug,
    detail: problem.message,
  });
}

/**
 * An accepted delivery with events dated before the lake's start (the stack's lakeStartDate): stored like any other,
 * but Athena projects no partition that early, so the KPIs leave them out until lakeStartDate is set earlier and the
 * stack deployed again (nothing needs re-sending).
 */
function recordBeforeLakeStart(
  { logger, metrics }: Observability,
  source: string,
  earliestPartition: string,
  lakeStartDate: string,
): void {
  metrics?.addMetric(METRIC_NAMES.webhooksBeforeLakeStart, MetricUnit.Count, 1);
  logger.warn(
    'events dated before lakeStartDate: stored, but not queried until lakeStartDate is set earlier',
    {
      source: source.slice(0, 64),
      earliestPartition,
      lakeStartDate,
    },
  );
}

/**
 * A delivery we failed (it is answered 5xx, so the vendor retries): counted apart from the senders' mistakes, because
 * the Lambda itself succeeds (the 5xx is its answer) and its Errors metric never sees it. An unexpected error is
 * logged with its stack by the problem middleware; a known one (a source without its secret) is logged here.
 */
function recordServerError({ logger, metrics }: Observability, source: string, error: unknown): void {
  metrics?.addMetric(METRIC_NAMES.webhookServerErrors, MetricUnit.Count, 1);
  if (!(error instanceof HttpProblem)) return;
  metrics?.addMetadata('status', String(error.status));
  logger.error('webhook not accepted', {
    source: source.slice(0, 64),
    status: error.status,
    problem: error.slug,
    detail: error.message,
  });
}

export const handler = createIngestWebhookHandler(lazily(ingestDependenciesFromEnvironment));
