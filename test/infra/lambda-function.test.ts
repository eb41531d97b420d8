import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { CsPulseFunction, PROJECT_ROOT } from '../../lib/lambda-function.js';
import { policyStatements, testStack } from './support/cdk-app.js';

describe('CsPulseFunction', () => {
  const stack = testStack();
  const fn = new CsPulseFunction(stack, 'Health', {
    entry: 'lambdas/handlers/health.ts',
    description: 'health check',
    environment: { SOMETHING: 'value' },
  });
  const template = Template.fromStack(stack);
  const logGroupId = stack.getLogicalId(fn.logGroup.node.defaultChild as never);

  it('runs Node 24 on arm64 with the handler export of the entry file', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 10,
      Description: 'health check',
    });
  });

  it('logs JSON into its own log group, with a retention, kept by default', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: {
        LogFormat: 'JSON',
        ApplicationLogLevel: 'INFO',
        SystemLogLevel: 'WARN',
        LogGroup: { Ref: logGroupId },
      },
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
    });
  });

  it('keeps its own variables and turns source maps on for stack traces', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          SOMETHING: 'value',
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: stack.stackName,
          POWERTOOLS_METRICS_NAMESPACE: 'CsPulse',
        },
      },
    });
  });

  it('may write only to its own log group, with no managed policy', () => {
    const statements = policyStatements(template);
    expect(statements).toEqual([
      expect.objectContaining({
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
      }),
    ]);
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  it('takes memory, timeout and log settings from its props', () => {
    const other = testStack();
    new CsPulseFunction(other, 'Slow', {
      entry: 'lambdas/handlers/health.ts',
      description: 'slow',
      memorySize: 1024,
      timeout: Duration.minutes(2),
      logRetentionDays: 7,
      logRemovalPolicy: RemovalPolicy.DESTROY,
    });
    const otherTemplate = Template.fromStack(other);
    otherTemplate.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 1024, Timeout: 120 });
    otherTemplate.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 7 },
      DeletionPolicy: 'Delete',
    });
  });

  it('is the only place in lib/ that makes a NodejsFunction', async () => {
    const files = (await readdir(path.join(PROJECT_ROOT, 'lib'), { recursive: true })).filter((file) =>
      file.endsWith('.ts'),
    );
    const offenders: string[] = [];
    for (const file of files) {
      const text = await readFile(path.join(PROJECT_ROOT, 'lib', file), 'utf8');
      if (/new (NodejsFunction|lambda\.Function|Function)\(/.test(text)) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });
});
