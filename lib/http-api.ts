import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface PublicHttpApiProps {
  /** Steady requests per second across all routes. @default 50 */
  readonly throttleRateLimit?: number;
  /** Burst of requests across all routes. @default 100 */
  readonly throttleBurstLimit?: number;
  /** Days the access logs are kept. @default 30 */
  readonly accessLogRetentionDays?: number;
  /** What happens to the access log group when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The one HTTP API (payload format 2.0) in front of cs-pulse: the webhook routes and the read API routes, on a single
 * `$default` stage with throttling and JSON access logs. Each route's owner (WebhookIngest, ReadApi) adds its own
 * with `api.addRoutes`. API Gateway itself refuses a body over 10 MB; ingest refuses one over its own limit (413).
 */
export class PublicHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: PublicHttpApiProps = {}) {
    super(scope, id);
    this.api = new HttpApi(this, 'Api', {
      description: 'cs-pulse: vendor webhooks and the KPI read API',
      createDefaultStage: false,
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: (props.accessLogRetentionDays ?? 30) as RetentionDays,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRateLimit ?? 50, burstLimit: props.throttleBurstLimit ?? 100 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        // Never the body or headers: they carry signatures and customer data.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            method: '$context.httpMethod',
            routeKey: '$context.routeKey',
            path: '$context.path',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationStatus: '$context.integrationStatus',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            error: '$context.error.message',
          }),
        ),
      },
    });
  }

  /** `https://<id>.execute-api.<region>.amazonaws.com/` (with the trailing slash). */
  get url(): string {
    return this.stage.url;
  }
}
