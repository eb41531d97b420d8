import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { WebhookRequest } from '../sources/source.js';

/** Reads an API Gateway HTTP API (payload v2) event as a webhook request. */
export function webhookRequestOf(event: APIGatewayProxyEventV2, receivedAt: Date): WebhookRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const scheme = headers['x-forwarded-proto'] ?? 'https';
  const host = headers.host ?? event.requestContext.domainName;
  const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
  return {
    method: event.requestContext.http.method.toUpperCase(),
    url: `${scheme}://${host}${event.rawPath}${query}`,
    headers,
    rawBody:
      event.body === undefined
        ? Buffer.alloc(0)
        : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8'),
    receivedAt,
  };
}
