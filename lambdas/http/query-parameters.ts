import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { z } from 'zod';
import { fieldErrorsOf, HttpProblem } from './problem.js';

/** Parses the query string with a schema; a bad parameter is a 400 naming each one and why. */
export function parseQuery<Schema extends z.ZodType>(
  event: APIGatewayProxyEventV2,
  schema: Schema,
): z.output<Schema> {
  const result = schema.safeParse(event.queryStringParameters ?? {});
  if (!result.success) {
    throw new HttpProblem(400, 'invalid-parameters', 'the query parameters are invalid', {
      errors: fieldErrorsOf(result.error),
    });
  }
  return result.data;
}
