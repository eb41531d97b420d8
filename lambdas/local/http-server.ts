import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { HttpProblem, problemResponse } from '../http/problem.js';
import { apiGatewayEventOf, localLambdaContext } from './api-gateway-event.js';

export type HttpLambdaHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** A route as API Gateway declares it: `POST /webhooks/{source}`, or `ANY` for every method. */
export interface LocalRoute {
  readonly method: string;
  readonly path: string;
  readonly name: string;
  readonly handler: HttpLambdaHandler;
}

/** API Gateway HTTP APIs refuse larger payloads before any Lambda runs; the local server does the same. */
export const API_GATEWAY_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

interface CompiledRoute extends LocalRoute {
  readonly pattern: RegExp;
  readonly parameterNames: string[];
}

function compile(route: LocalRoute): CompiledRoute {
  const parameterNames: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const parameter = /^\{(\w+)\}$/.exec(segment);
      if (!parameter) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      parameterNames.push(parameter[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { ...route, pattern: new RegExp(`^${source}$`), parameterNames };
}

/**
 * The local stand-in for API Gateway: matches the route, reads the body (up to API Gateway's own limit), builds the
 * payload v2 event and calls the same handler the Lambda runs. It never answers 500 for a client's mistake and keeps
 * serving whatever a handler throws.
 */
export function createLocalServer(
  routes: readonly LocalRoute[],
  clock: () => Date = () => new Date(),
): Server {
  const compiled = routes.map(compile);
  const server = createServer((request, response) => {
    void serve(compiled, request, response, clock).catch((error) => {
      console.error('local server failed to answer a request', error);
      if (!response.headersSent) {
        send(response, problemResponse(new HttpProblem(500, 'internal-error', 'the local server failed')));
      } else response.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  return server;
}

async function serve(
  routes: readonly CompiledRoute[],
  request: IncomingMessage,
  response: ServerResponse,
  clock: () => Date,
): Promise<void> {
  const method = (request.method ?? 'GET').toUpperCase();
  const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
  const matches = routes
    .map((route) => ({ route, match: route.pattern.exec(pathname) }))
    .filter((candidate) => candidate.match !== null);
  const chosen = matches.find(({ route }) => route.method === method || route.method === 'ANY');
  if (!chosen) {
    request.resume();
    if (matches.length > 0) {
      const allowed = [...new Set(matches.map(({ route }) => route.method))].join(', ');
      return send(
        response,
        problemResponse(
          new HttpProblem(405, 'method-not-allowed', `${pathname} answers ${allowed}, not ${method}`, {
            headers: { allow: allowed },
          }),
        ),
      );
    }
    return send(
      response,
      problemResponse(new HttpProblem(404, 'not-found', `nothing is served at ${pathname}`)),
    );
  }
  const body = await readBody(request, API_GATEWAY_MAX_PAYLOAD_BYTES);
  if (body === undefined) {
    return send(
      response,
      problemResponse(
        new HttpProblem(413, 'body-too-large', `the body exceeds ${API_GATEWAY_MAX_PAYLOAD_BYTES} bytes`),
      ),
      true,
    );
  }
  const pathParameters: Record<string, string> = {};
  chosen.route.parameterNames.forEach((name, index) => {
    pathParameters[name] = decodeURIComponent(chosen.match![index + 1]!);
  });
  const event = apiGatewayEventOf(
    request,
    body,
    { routeKey: `${chosen.route.method} ${chosen.route.path}`, pathParameters },
    clock(),
  );
  const result = await chosen.route.handler(
    event,
    localLambdaContext(chosen.route.name, event.requestContext.requestId),
  );
  send(response, result);
}

/** The body, or undefined once it passes the limit (the rest is not buffered). */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      request.resume();
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks, size)));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, result: APIGatewayProxyStructuredResultV2, close = false): void {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  if (close) headers.connection = 'close';
  const body =
    result.body === undefined
      ? undefined
      : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  if (body) headers['content-length'] = String(body.length);
  response.writeHead(result.statusCode ?? 200, headers);
  response.end(body);
}

export function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
