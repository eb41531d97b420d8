import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../lambdas/runtime/metric-names.js';

/** The repository root: entries, the lock file and tsconfig are found from here, wherever `cdk` runs. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The Lambda runtime of every cs-pulse function; esbuild targets the same Node version. */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;
const ESBUILD_TARGET = 'node24';

/**
 * ESM bundles have no `require`; some CommonJS code inside the AWS SDK and its dependencies still calls it for Node
 * built-ins. This gives the bundle a real one.
 */
const REQUIRE_SHIM =
  "import { createRequire as __csPulseCreateRequire } from 'node:module'; const require = __csPulseCreateRequire(import.meta.url);";

export interface CsPulseFunctionProps {
  /** The handler module, relative to the repository root, e.g. `lambdas/handlers/ingest-webhook.ts`. */
  readonly entry: string;
  /** The exported handler. @default 'handler' */
  readonly handler?: string;
  readonly description: string;
  /** Variables the handler reads (docs/deploy.md lists them per function). @default none */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** Days the function's log group keeps its logs. @default 30 */
  readonly logRetentionDays?: number;
  /** What happens to the log group when the function is removed. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Files copied beside the bundle (destination path relative to the bundle, folders created as needed → source path
   * relative to the repository root), e.g. the mapping config or the SQL of queries/. @default none
   */
  readonly extraFiles?: Readonly<Record<string, string>>;
}

/**
 * The one way cs-pulse makes a Lambda function: Node 24 on arm64, one minified ESM file with the AWS SDK bundled
 * (a pinned SDK instead of whatever the runtime ships), source maps, JSON logs into a log group with a retention,
 * and a role that may write only to that log group. Bundling runs esbuild locally, never Docker.
 */
export class CsPulseFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: CsPulseFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: (props.logRetentionDays ?? 30) as RetentionDays,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.description}`,
    });
    // Instead of AWSLambdaBasicExecutionRole (every log group in the account): this function's own group only.
    role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    const copyCommands = Object.entries(props.extraFiles ?? {}).map(([destination, source]) => ({
      destination,
      source: path.resolve(PROJECT_ROOT, source),
    }));

    super(scope, id, {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: props.handler ?? 'handler',
      description: props.description,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      environment: {
        ...props.environment,
        NODE_OPTIONS: '--enable-source-maps',
        // Powertools (lambdas/runtime/observability.ts): the stack's name is the `service` of every log line and
        // metric, so two stages in one account stay apart; lib/operations.ts alarms on the same names.
        POWERTOOLS_SERVICE_NAME: Stack.of(scope).stackName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: ESBUILD_TARGET,
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        bundleAwsSDK: true,
        externalModules: [],
        banner: REQUIRE_SHIM,
        tsconfig: path.join(PROJECT_ROOT, 'tsconfig.json'),
        forceDockerBundling: false,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir, outputDir) =>
            copyCommands.map(({ destination, source }) => {
              const target = path.join(outputDir, destination);
              return `mkdir -p ${shellQuote(path.dirname(target))} && cp ${shellQuote(source)} ${shellQuote(target)}`;
            }),
        },
      },
    });
  }
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}
