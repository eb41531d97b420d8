import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { z } from 'zod';
import { bearerToken } from '../http/bearer-token.js';
import { jsonResponse } from '../http/problem.js';
import { problemDetails } from '../http/problem-middleware.js';
import { parseQuery } from '../http/query-parameters.js';
import type { KpiStore } from '../ports/kpi-store.js';
import { type Observability, observed } from '../runtime/observability.js';
import type { ReadApiDependencies } from './read-api.js';

/**
 * One read-API endpoint as a Lambda handler, the same for every `GET /v1/…`: observed (logs, no metrics), errors as
 * problem+json, the local server's bearer token checked, the query string validated with the endpoint's schema before
 * the store is touched, and the answer as JSON that is never cached (every aggregation run changes it).
 */
export function readApiHandler<Schema extends z.ZodType>(
  querySchema: Schema,
  answer: (store: KpiStore, query: z.output<Schema>, event: APIGatewayProxyEventV2) => Promise<unknown>,
  dependencies: () => Promise<ReadApiDependencies>,
  observability: Observability,
) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(observed(observability, { recordsMetrics: false }))
    .use(problemDetails(observability.logger))
    .use(bearerToken(async () => (await dependencies()).apiToken))
    .handler(async (event) => {
      const query = parseQuery(event, querySchema);
      const { store } = await dependencies();
      return jsonResponse(200, await answer(store, query, event), { 'cache-control': 'no-store' });
    });
}
