import { Duration, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { ScheduledJob } from '../../lib/scheduled-job.js';
import { testStack } from './support/cdk-app.js';

function jobIn(stack: Stack, props: { retryAttempts?: number; maxEventAge?: Duration } = {}): ScheduledJob {
  return new ScheduledJob(stack, 'Job', {
    entry: 'lambdas/handlers/health.ts',
    description: 'a test job',
    ...props,
  });
}

describe('ScheduledJob', () => {
  const stack = testStack();
  const job = jobIn(stack);
  job.addSchedule('Hourly', 'rate(1 hour)', { mode: 'incremental' }, 'every hour');
  job.addSchedule('Nightly', 'cron(30 2 * * ? *)', { mode: 'backfill' }, 'every night');
  const template = Template.fromStack(stack);
  const functionId = stack.getLogicalId(job.function.node.defaultChild as CfnFunction);
  const queueId = stack.getLogicalId(job.deadLetterQueue.node.defaultChild as CfnQueue);
  const queueArn = { 'Fn::GetAtt': [queueId, 'Arn'] };

  it('keeps failures in an encrypted, TLS-only dead-letter queue for 14 days, retained by default', () => {
    template.hasResource('AWS::SQS::Queue', {
      Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 },
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('has Lambda retry a run that threw twice within an hour, then dead-letter it', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionId },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: queueArn } },
    });
  });

  it('runs each schedule with its own event, Scheduler retrying an undelivered one into the same queue', () => {
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule'));
    expect(schedules.map((schedule) => schedule.Properties.ScheduleExpression).sort()).toEqual([
      'cron(30 2 * * ? *)',
      'rate(1 hour)',
    ]);
    for (const schedule of schedules) {
      expect(schedule.Properties.Target).toMatchObject({
        Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: queueArn },
        RoleArn: { 'Fn::GetAtt': [stack.getLogicalId(job.schedulerRole.node.defaultChild as never), 'Arn'] },
      });
    }
    const inputs = schedules.map((schedule) => JSON.parse(schedule.Properties.Target.Input));
    expect(inputs).toEqual(expect.arrayContaining([{ mode: 'incremental' }, { mode: 'backfill' }]));
  });

  it('gives Scheduler a role of this account only, which may invoke this function and nothing else', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ],
      },
    });
    const invokes = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
      policy.Properties.PolicyDocument.Statement.filter((statement: { Action: string | string[] }) =>
        [statement.Action].flat().includes('lambda:InvokeFunction'),
      ),
    );
    expect(invokes.length).toBeGreaterThan(0);
    for (const statement of invokes) {
      for (const resource of [statement.Resource].flat())
        expect(JSON.stringify(resource)).toContain(functionId);
    }
  });

  it('refuses retry settings that Lambda’s async invoke cannot take', () => {
    expect(() => jobIn(testStack(), { retryAttempts: 3 })).toThrow(/retryAttempts must be 0, 1 or 2/);
    expect(() => jobIn(testStack(), { maxEventAge: Duration.hours(12) })).toThrow(/maxEventAge/);
    expect(() => jobIn(testStack(), { retryAttempts: 0, maxEventAge: Duration.minutes(5) })).not.toThrow();
  });
});
