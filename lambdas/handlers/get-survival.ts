import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { survivalCurves } from '../api/insights-api.js';
import { survivalQuerySchema } from '../api/insights-schemas.js';
import type { ReadApiDependencies } from '../api/read-api.js';
import { bearerToken } from '../http/bearer-token.js';
import { jsonResponse } from '../http/problem.js';
import { problemDetails } from '../http/problem-middleware.js';
import { parseQuery } from '../http/query-parameters.js';
import { lazily } from '../runtime/lazily.js';
import { lambdaObservability, type Observability, observed } from '../runtime/observability.js';
import { readApiDependenciesFromEnvironment } from '../runtime/read-api-environment.js';

/** `GET /v1/survival?segment=<key>`: Kaplan–Meier curves of accounts, per value of a segment key with a log-rank test. */
export function createGetSurvivalHandler(
  dependencies: () => Promise<ReadApiDependencies>,
  observability: Observability = lambdaObservability(),
) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(observed(observability, { recordsMetrics: false }))
    .use(problemDetails(observability.logger))
    .use(bearerToken(async () => (await dependencies()).apiToken))
    .handler(async (event) => {
      const { segment } = parseQuery(event, survivalQuerySchema);
      const { store } = await dependencies();
      return jsonResponse(200, await survivalCurves(store, segment), { 'cache-control': 'no-store' });
    });
}

export const handler = createGetSurvivalHandler(lazily(readApiDependenciesFromEnvironment));
