import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { openApiDocument } from '../api/openapi.js';
import { jsonResponse } from '../http/problem.js';
import { problemDetails } from '../http/problem-middleware.js';
import { lambdaObservability, observed } from '../runtime/observability.js';

const observability = lambdaObservability();

/** `GET /v1/openapi.json`: the API's OpenAPI 3.1 document, served from the schemas the handlers validate with. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(observed(observability, { recordsMetrics: false }))
  .use(problemDetails(observability.logger))
  .handler(async (event) => {
    const scheme = event.headers?.['x-forwarded-proto'] ?? 'https';
    const host = event.headers?.host ?? event.requestContext.domainName;
    return jsonResponse(200, openApiDocument(`${scheme}://${host}`), {
      'cache-control': 'public, max-age=300',
    });
  });
