import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { churnDrivers } from '../api/insights-api.js';
import { churnDriversQuerySchema } from '../api/insights-schemas.js';
import type { ReadApiDependencies } from '../api/read-api.js';
import { bearerToken } from '../http/bearer-token.js';
import { jsonResponse } from '../http/problem.js';
import { problemDetails } from '../http/problem-middleware.js';
import { parseQuery } from '../http/query-parameters.js';
import { lazily } from '../runtime/lazily.js';
import { lambdaObservability, type Observability, observed } from '../runtime/observability.js';
import { readApiDependenciesFromEnvironment } from '../runtime/read-api-environment.js';

/** `GET /v1/insights/churn-drivers`: churn after survey answers, CES against NPS as predictors, and ARR at risk. */
export function createGetChurnDriversHandler(
  dependencies: () => Promise<ReadApiDependencies>,
  observability: Observability = lambdaObservability(),
) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(observed(observability, { recordsMetrics: false }))
    .use(problemDetails(observability.logger))
    .use(bearerToken(async () => (await dependencies()).apiToken))
    .handler(async (event) => {
      parseQuery(event, churnDriversQuerySchema);
      const { store } = await dependencies();
      return jsonResponse(200, await churnDrivers(store), { 'cache-control': 'no-store' });
    });
}

export const handler = createGetChurnDriversHandler(lazily(readApiDependenciesFromEnvironment));
