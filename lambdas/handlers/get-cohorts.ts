import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { cohortQuerySchema } from '../api/cohort-schemas.js';
import { cohortTable } from '../api/cohorts-api.js';
import type { ReadApiDependencies } from '../api/read-api.js';
import { bearerToken } from '../http/bearer-token.js';
import { jsonResponse } from '../http/problem.js';
import { problemDetails } from '../http/problem-middleware.js';
import { parseQuery } from '../http/query-parameters.js';
import { lazily } from '../runtime/lazily.js';
import { lambdaObservability, type Observability, observed } from '../runtime/observability.js';
import { readApiDependenciesFromEnvironment } from '../runtime/read-api-environment.js';

/** `GET /v1/cohorts/{logo|revenue}?from=&to=&segment=key:value`: retention by start-month cohort. */
export function createGetCohortsHandler(
  dependencies: () => Promise<ReadApiDependencies>,
  observability: Observability = lambdaObservability(),
) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(observed(observability, { recordsMetrics: false }))
    .use(problemDetails(observability.logger))
    .use(bearerToken(async () => (await dependencies()).apiToken))
    .handler(async (event) => {
      const query = parseQuery(event, cohortQuerySchema);
      const { store } = await dependencies();
      return jsonResponse(200, await cohortTable(store, event.pathParameters?.kind ?? '', query), {
        'cache-control': 'no-store',
      });
    });
}

export const handler = createGetCohortsHandler(lazily(readApiDependenciesFromEnvironment));
