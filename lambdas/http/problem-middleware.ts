import type { Logger } from '@aws-lambda-powertools/logger';
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { HttpProblem, problemResponse } from './problem.js';

type HttpMiddleware = middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;

/**
 * Turns a thrown HttpProblem into its `application/problem+json` response. Anything else is our fault: it is logged
 * with the request id and answered with a 500 that leaks nothing.
 */
export function problemDetails(logger: Pick<Logger, 'error'>): HttpMiddleware {
  return {
    onError: async (request) => {
      const error = request.error;
      if (error instanceof HttpProblem) {
        request.response = problemResponse(error);
        return;
      }
      const requestId = request.event.requestContext?.requestId;
      logger.error('unhandled error', { requestId, error: error as Error });
      request.response = problemResponse(
        new HttpProblem(
          500,
          'internal-error',
          'the server failed to handle the request; it has been logged',
          {
            extensions: { request_id: requestId },
          },
        ),
      );
    },
  };
}
