import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { DataLake } from '../../lib/data-lake.js';
import { PublicHttpApi } from '../../lib/http-api.js';
import { lakeTables } from '../../lib/tables/lake-tables.js';
import { WebhookIngest, type WebhookIngestProps } from '../../lib/webhook-ingest.js';
import { WebhookSecrets } from '../../lib/webhook-secrets.js';
import { policyStatements, testStack } from './support/cdk-app.js';

function ingestTemplate(props: Partial<WebhookIngestProps> = {}) {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake', { tables: lakeTables(['generic']) });
  const secrets = new WebhookSecrets(stack, 'Secrets');
  const api = new PublicHttpApi(stack, 'Http');
  const ingest = new WebhookIngest(stack, 'Ingest', { api, lake, secrets, maxBodyBytes: 262_144, ...props });
  const ref = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as CfnFunction);
  return {
    template: Template.fromStack(stack),
    ingest,
    ids: {
      bucket: ref(lake.bucket),
      secret: ref(secrets.secret),
      fn: ref(ingest.function),
      api: ref(api.api),
    },
  };
}

describe('WebhookIngest', () => {
  const { template, ingest, ids } = ingestTemplate();

  it('runs lambdas/handlers/ingest-webhook.ts through the cs-pulse function construct', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
    });
  });

  it('tells the handler its bucket, its secret and the body limit, which switches it to the AWS adapters', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          CS_PULSE_LAKE_BUCKET: { Ref: ids.bucket },
          CS_PULSE_SECRETS_ARN: { Ref: ids.secret },
          CS_PULSE_MAX_BODY_BYTES: '262144',
          NODE_OPTIONS: '--enable-source-maps',
          CS_PULSE_CONFIG: Match.absent(),
          CS_PULSE_LAKE_START_DATE: Match.absent(),
        },
      },
    });
  });

  it('tells the handler the lake’s first projected day, to report events Athena would not read', () => {
    ingestTemplate({ lakeStartDate: '2024-06-01' }).template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { CS_PULSE_LAKE_START_DATE: '2024-06-01' } },
    });
  });

  it('routes ANY /webhooks/{source} to the function with payload format 2.0', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'ANY /webhooks/{source}',
      AuthorizationType: 'NONE',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [ids.fn, 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [ids.fn, 'Arn'] },
    });
  });

  it('may put objects under raw/ and tables/, read its secret and write its logs, and nothing more', () => {
    const statements = policyStatements(template);
    const actions = statements.flatMap((statement) => statement.Action).sort();

    expect(actions).toEqual(
      [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:PutObject',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
      ].sort(),
    );
    const s3 = statements.find((statement) => statement.Action.includes('s3:PutObject'))!;
    expect(JSON.stringify(s3.Resource)).toMatch(/\/raw\/\*.*\/tables\/\*/);
    const secret = statements.find((statement) =>
      statement.Action.includes('secretsmanager:GetSecretValue'),
    )!;
    expect(secret.Resource).toEqual({ Ref: ids.secret });
    template.resourcePropertiesCountIs(
      'AWS::IAM::Role',
      { ManagedPolicyArns: Match.anyValue() },
      0, // no AWSLambdaBasicExecutionRole: logs only into its own group
    );
  });

  it('gives each source its URL under /webhooks/', () => {
    const url = ingest.webhookUrl('generic');
    expect(url).toMatch(/webhooks\/generic$/);
  });

  it('refuses a mapping config with a source it does not know, before anything is deployed', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'cs-pulse-config-'));
    const file = path.join(folder, 'bad.config.json');
    await writeFile(file, JSON.stringify({ sources: { nosuchvendor: {} } }));
    try {
      expect(() => ingestTemplate({ sourceConfigFile: file })).toThrow(
        /sourceConfig .*unknown sources: nosuchvendor/,
      );
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('bundles the mapping config and points the handler at it when one is given', () => {
    ingestTemplate({ sourceConfigFile: 'test/fixtures/cs-pulse.config.json' }).template.hasResourceProperties(
      'AWS::Lambda::Function',
      { Environment: { Variables: Match.objectLike({ CS_PULSE_CONFIG: '/var/task/cs-pulse.config.json' }) } },
    );
  });
});
