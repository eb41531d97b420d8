import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type middy from '@middy/core';
import { METRICS_NAMESPACE } from './metric-names.js';

export { METRIC_NAMES, METRICS_NAMESPACE } from './metric-names.js';
export { MetricUnit };

/**
 * How a handler reports what it did: structured JSON logs (Powertools Logger, with the Lambda context on every line)
 * and, on AWS, CloudWatch metrics in embedded metric format (Powertools Metrics: one JSON line per invocation that
 * CloudWatch turns into metrics, no API call). Locally there is no CloudWatch, so there are no metrics to publish.
 */
export interface Observability {
  readonly logger: Logger;
  readonly metrics?: Metrics;
}

let lambdaDefault: Observability | undefined;

/** The Lambda's logger and metrics, made once per container; the stack sets POWERTOOLS_SERVICE_NAME to its own name. */
export function lambdaObservability(): Observability {
  lambdaDefault ??= {
    logger: new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'cs-pulse' }),
    metrics: new Metrics({
      namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
      serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'cs-pulse',
    }),
  };
  return lambdaDefault;
}

/** `npm start`: the same JSON logs, no metrics. */
export function localObservability(): Observability {
  return { logger: new Logger({ serviceName: 'cs-pulse' }) };
}

/**
 * The middy middleware that gives every log line the invocation's context (request id, function, cold start) and,
 * for a handler that records metrics, publishes them after each invocation, also when it throws. (A handler that
 * records none leaves publishing out: Powertools warns on every empty flush.)
 */
export function observed<Event, Result>(
  observability: Observability,
  { recordsMetrics }: { readonly recordsMetrics: boolean },
): middy.MiddlewareObj<Event, Result>[] {
  const middlewares = [injectLambdaContext(observability.logger, { resetKeys: true })];
  if (recordsMetrics && observability.metrics) middlewares.push(logMetrics(observability.metrics));
  return middlewares as middy.MiddlewareObj<Event, Result>[];
}
