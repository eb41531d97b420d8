import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** The event API Gateway (HTTP API, payload 2.0) sends the ingest Lambda for `POST /webhooks/<source>`. */
export function webhookEvent(
  source: string,
  body: string,
  headers: Record<string, string>,
  receivedAt: Date,
): APIGatewayProxyEventV2 {
  const domainName = 'abc123.execute-api.eu-west-1.amazonaws.com';
  return {
    version: '2.0',
    routeKey: 'ANY /webhooks/{source}',
    rawPath: `/webhooks/${source}`,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', host: domainName, ...headers },
    pathParameters: { source },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName,
      domainPrefix: 'abc123',
      http: {
        method: 'POST',
        path: `/webhooks/${source}`,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.9',
        userAgent: 'test',
      },
      requestId: 'req-1',
      routeKey: 'ANY /webhooks/{source}',
      stage: '$default',
      time: receivedAt.toUTCString(),
      timeEpoch: receivedAt.getTime(),
    },
    body,
    isBase64Encoded: false,
  };
}
