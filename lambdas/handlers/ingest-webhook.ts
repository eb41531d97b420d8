import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { jsonResponse } from '../http/problem.js';
import { problemDetails } from '../http/problem-middleware.js';
import { webhookRequestOf } from '../http/webhook-request.js';
import { type IngestDependencies, ingestWebhook } from '../ingest/ingest-webhook.js';
import type { Clock } from '../ports/clock.js';
import { ingestDependenciesFromEnvironment } from '../runtime/environment.js';
import { lazily } from '../runtime/lazily.js';
import { findSource } from '../sources/registry.js';

/** `ANY /webhooks/{source}`: one signed delivery from a CRM, billing or survey tool. */
export function createIngestWebhookHandler(
  dependencies: () => Promise<IngestDependencies & { clock: Clock }>,
) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(problemDetails())
    .handler(async (event) => {
      const deps = await dependencies();
      const request = webhookRequestOf(event, deps.clock.now());
      const sourceName = event.pathParameters?.source ?? '';
      const outcome = await ingestWebhook(sourceName, request, deps);
      const acknowledgement = findSource(sourceName)?.acknowledge?.(outcome);
      return acknowledgement
        ? { ...acknowledgement, headers: { ...acknowledgement.headers } }
        : jsonResponse(202, outcome);
    });
}

export const handler = createIngestWebhookHandler(lazily(ingestDependenciesFromEnvironment));
