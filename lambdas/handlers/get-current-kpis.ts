import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { currentKpis, type ReadApiDependencies } from '../api/read-api.js';
import { currentQuerySchema } from '../api/read-api-schemas.js';
import { bearerToken } from '../http/bearer-token.js';
import { jsonResponse } from '../http/problem.js';
import { problemDetails } from '../http/problem-middleware.js';
import { parseQuery } from '../http/query-parameters.js';
import { lazily } from '../runtime/lazily.js';
import { lambdaObservability, type Observability, observed } from '../runtime/observability.js';
import { readApiDependenciesFromEnvironment } from '../runtime/read-api-environment.js';

/** `GET /v1/kpis?grain=`: the latest complete and the current period of every metric. */
export function createGetCurrentKpisHandler(
  dependencies: () => Promise<ReadApiDependencies>,
  observability: Observability = lambdaObservability(),
) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(observed(observability, { recordsMetrics: false }))
    .use(problemDetails(observability.logger))
    .use(bearerToken(async () => (await dependencies()).apiToken))
    .handler(async (event) => {
      const { grain } = parseQuery(event, currentQuerySchema);
      const { store } = await dependencies();
      return jsonResponse(200, await currentKpis(store, grain), { 'cache-control': 'no-store' });
    });
}

export const handler = createGetCurrentKpisHandler(lazily(readApiDependenciesFromEnvironment));
