import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { constantTimeEqual } from '../sources/schemes/hmac.js';
import { HttpProblem } from './problem.js';

/**
 * Requires `Authorization: Bearer <token>` when a token is configured (the local server's CS_PULSE_API_TOKEN; on AWS
 * API Gateway's IAM or JWT authorizer guards the routes instead and no token is set).
 */
export function bearerToken(
  token: () => Promise<string | undefined>,
): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    before: async (request) => {
      const expected = await token();
      if (!expected) return;
      const header = request.event.headers?.authorization ?? '';
      const offered = /^Bearer\s+(.+)$/i.exec(header)?.[1] ?? '';
      if (!constantTimeEqual(Buffer.from(offered), Buffer.from(expected))) {
        throw new HttpProblem(
          401,
          'unauthorized',
          offered ? 'the bearer token is wrong' : 'send Authorization: Bearer <CS_PULSE_API_TOKEN>',
          {
            headers: { 'www-authenticate': 'Bearer realm="cs-pulse"' },
          },
        );
      }
    },
  };
}
