import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { jsonResponse } from '../http/problem.js';
import { problemDetails } from '../http/problem-middleware.js';
import { lambdaObservability, observed } from '../runtime/observability.js';

const observability = lambdaObservability();

/** `GET /healthz`: the process is up and answering. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(observed(observability, { recordsMetrics: false }))
  .use(problemDetails(observability.logger))
  .handler(async () => jsonResponse(200, { status: 'ok' }, { 'cache-control': 'no-store' }));
