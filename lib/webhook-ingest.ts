import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { HttpMethod, type HttpRoute, PayloadFormatVersion } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Construct } from 'constructs';
import { parseSourceOptions } from '../lambdas/config/source-options.js';
import type { DataLake } from './data-lake.js';
import type { PublicHttpApi } from './http-api.js';
import { CsPulseFunction, PROJECT_ROOT } from './lambda-function.js';
import type { WebhookSecrets } from './webhook-secrets.js';

/** Where the mapping config sits inside the bundle, when one is deployed. */
const BUNDLED_CONFIG_FILE = 'cs-pulse.config.json';

export interface WebhookIngestProps {
  readonly api: PublicHttpApi;
  readonly lake: DataLake;
  readonly secrets: WebhookSecrets;
  /** Largest body accepted; larger ones get a 413. @default 1 MiB */
  readonly maxBodyBytes?: number;
  /**
   * The first day Athena projects (DataLake's projectionStartDate): ingest reports deliveries with events before it,
   * which the KPIs would leave out. @default - no check
   */
  readonly lakeStartDate?: string;
  /**
   * The mapping config file (docs/sources.md), relative to the repository root; it is bundled with the function.
   * @default - every source with its default options
   */
  readonly sourceConfigFile?: string;
  /** Days the function's logs are kept. @default 30 */
  readonly logRetentionDays?: number;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * `ANY /webhooks/{source}` → the ingest Lambda (lambdas/handlers/ingest-webhook.ts): verifies the vendor's signature,
 * archives the body and writes the normalized rows into the lake. It may only put objects under raw/ and tables/
 * and read the webhook secret.
 */
export class WebhookIngest extends Construct {
  readonly function: CsPulseFunction;
  readonly routes: readonly HttpRoute[];
  private readonly api: PublicHttpApi;

  constructor(scope: Construct, id: string, props: WebhookIngestProps) {
    super(scope, id);
    this.api = props.api;
    if (props.sourceConfigFile) checkSourceConfig(props.sourceConfigFile);
    this.function = new CsPulseFunction(this, 'Function', {
      entry: 'lambdas/handlers/ingest-webhook.ts',
      description: 'cs-pulse webhook ingest: verify, archive, normalize into the lake',
      timeout: Duration.seconds(15),
      environment: {
        CS_PULSE_LAKE_BUCKET: props.lake.bucket.bucketName,
        CS_PULSE_SECRETS_ARN: props.secrets.secretArn,
        CS_PULSE_MAX_BODY_BYTES: String(props.maxBodyBytes ?? 1024 * 1024),
        ...(props.lakeStartDate ? { CS_PULSE_LAKE_START_DATE: props.lakeStartDate } : {}),
        ...(props.sourceConfigFile ? { CS_PULSE_CONFIG: `/var/task/${BUNDLED_CONFIG_FILE}` } : {}),
      },
      ...(props.sourceConfigFile ? { extraFiles: { [BUNDLED_CONFIG_FILE]: props.sourceConfigFile } } : {}),
      ...(props.logRetentionDays !== undefined ? { logRetentionDays: props.logRetentionDays } : {}),
      ...(props.logRemovalPolicy !== undefined ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    });
    props.lake.grantIngestWrite(this.function);
    props.secrets.grantRead(this.function);

    this.routes = props.api.api.addRoutes({
      path: '/webhooks/{source}',
      methods: [HttpMethod.ANY],
      integration: new HttpLambdaIntegration('Ingest', this.function, {
        payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
      }),
    });
    for (const route of this.routes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Vendors cannot sign requests with IAM or send a JWT: every webhook carries its vendor signature, which ' +
          'the Lambda verifies before storing anything (401 otherwise).',
      });
    }
  }

  /** The URL a vendor is given for one source. */
  webhookUrl(source: string): string {
    return `${this.api.url}webhooks/${source}`;
  }
}

/** Parses the mapping config with each source's own schema now, so a wrong option stops the deploy, not a delivery. */
function checkSourceConfig(file: string): void {
  const text = readFileSync(path.resolve(PROJECT_ROOT, file), 'utf8');
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    throw new Error(`sourceConfig ${file} is not valid JSON: ${(error as Error).message}`);
  }
  try {
    parseSourceOptions(config);
  } catch (error) {
    throw new Error(`sourceConfig ${file}: ${(error as Error).message}`);
  }
}
