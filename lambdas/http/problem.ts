import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { z } from 'zod';

/** One failing field of a request, as listed in a 422 problem. */
export interface FieldError {
  /** Where in the body, as a JSON-Pointer-like dotted path such as `events[3].data.score`. */
  readonly path: string;
  readonly message: string;
}

/** An RFC 9457 problem details body (`application/problem+json`). */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly errors?: readonly FieldError[];
  readonly [extension: string]: unknown;
}

const PROBLEM_TYPE_BASE = 'https://github.com/cs-pulse/cs-pulse/blob/main/docs/problems.md#';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * A request that cannot be served, carrying the problem to answer with. Handlers throw it; the problem middleware
 * turns it into the response, so no handler formats errors by hand.
 */
export class HttpProblem extends Error {
  readonly status: number;
  readonly slug: string;
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, unknown>;

  constructor(
    status: number,
    slug: string,
    detail: string,
    options: {
      errors?: readonly FieldError[];
      headers?: Record<string, string>;
      extensions?: Record<string, unknown>;
    } = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
    this.status = status;
    this.slug = slug;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }

  toProblem(): ProblemDetails {
    return {
      type: `${PROBLEM_TYPE_BASE}${this.slug}`,
      title: TITLES[this.status] ?? 'Error',
      status: this.status,
      detail: this.message,
      ...(this.errors ? { errors: this.errors } : {}),
      ...this.extensions,
    };
  }
}

export function problemResponse(problem: HttpProblem): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: problem.status,
    headers: { 'content-type': 'application/problem+json', ...problem.headers },
    body: JSON.stringify(problem.toProblem()),
  };
}

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** Formats a zod issue path the way a sender reads it: `events[3].data.score`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let formatted = '';
  for (const segment of path) {
    if (typeof segment === 'number') formatted += `[${segment}]`;
    else formatted += formatted === '' ? String(segment) : `.${String(segment)}`;
  }
  return formatted === '' ? '(root)' : formatted;
}

/** Every failing field of a zod error, deepest union branch first, without repeats. */
export function fieldErrorsOf(error: z.ZodError, prefix: readonly PropertyKey[] = []): FieldError[] {
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    const path = formatIssuePath([...prefix, ...issue.path]);
    const key = `${path}\u0000${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    errors.push({ path, message: issue.message });
  }
  return errors;
}
