import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { CfnTopic } from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { synthCsPulse } from './support/cdk-app.js';

/** An ARN as the template writes it with the stack's own account and region: `arn:<partition>:…:<account>:…`. */
const alarmArnPattern = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':cloudwatch:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':alarm:*',
    ],
  ],
};

const onlyOurAlarms = {
  StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
  ArnLike: { 'aws:SourceArn': alarmArnPattern },
};

describe('Operations', () => {
  const { stack, template } = synthCsPulse({ stage: 'qa', alarmEmail: 'ops@example.com' });
  const topicId = stack.getLogicalId(stack.operations.topic.node.defaultChild as CfnTopic);

  it('lets CloudWatch alarms of this account and region publish to the topic, and only over TLS', () => {
    // The topic's own policy replaces SNS's default one: without an Allow for CloudWatch no alarm would arrive.
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        // In the order CDK writes them: the TLS deny first.
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: { Ref: topicId },
            Condition: onlyOurAlarms,
          }),
        ]),
      },
    });
    const allows = Object.values(template.findResources('AWS::SNS::TopicPolicy')).flatMap((policy) =>
      policy.Properties.PolicyDocument.Statement.filter(
        (statement: { Effect: string }) => statement.Effect === 'Allow',
      ),
    );
    expect(allows).toHaveLength(1);
  });

  it('encrypts the topic with a rotated key that CloudWatch may use for our alarms only', () => {
    const [keyId] = Object.keys(template.findResources('AWS::KMS::Key'));
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: onlyOurAlarms,
          }),
        ]),
      },
    });
  });

  it('e-mails the alarms to the configured address, and to nobody without one', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: topicId },
    });
    synthCsPulse().template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('alarms on every Lambda’s errors and throttles, API 5xx and dead letters, notifying the topic both ways', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    const functions = Object.keys(template.findResources('AWS::Lambda::Function'));
    const count = (metric: string) =>
      alarms.filter((alarm) => `${alarm.Properties.Namespace}/${alarm.Properties.MetricName}` === metric)
        .length;
    // Ingest, aggregation, compaction and the six read routes.
    expect(functions).toHaveLength(9);
    expect(count('AWS/Lambda/Errors')).toBe(functions.length);
    expect(count('AWS/Lambda/Throttles')).toBe(functions.length);
    expect(count('AWS/ApiGateway/5xx')).toBe(1);
    expect(count('AWS/SQS/ApproximateNumberOfMessagesVisible')).toBe(2);
    expect(count('CsPulse/WebhookSignaturesRejected')).toBe(1);
    expect(count('CsPulse/WebhookServerErrors')).toBe(1);
    expect(count('CsPulse/WebhooksBeforeLakeStart')).toBe(1);
    expect(alarms).toHaveLength(2 * functions.length + 6);
    const alarmedFunctions = alarms.flatMap((alarm) =>
      (alarm.Properties.Dimensions ?? [])
        .filter((dimension: { Name: string }) => dimension.Name === 'FunctionName')
        .map((dimension: { Value: { Ref: string } }) => dimension.Value.Ref),
    );
    for (const fn of functions) expect(alarmedFunctions).toContain(fn);
    for (const alarm of alarms) {
      expect(alarm.Properties).toMatchObject({
        Threshold: alarm.Properties.MetricName === 'WebhookSignaturesRejected' ? 10 : 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: topicId }],
        OKActions: [{ Ref: topicId }],
      });
    }
  });

  it('alarms on what the ingest handler publishes (signature refusals, 5xx, events before the lake) for this stack', () => {
    for (const [metricName, threshold] of [
      ['WebhookSignaturesRejected', 10],
      ['WebhookServerErrors', 1],
      ['WebhooksBeforeLakeStart', 1],
    ] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'CsPulse',
        MetricName: metricName,
        Dimensions: [{ Name: 'service', Value: stack.stackName }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: threshold,
      });
    }
    // Every function publishes under the stack's name, the dimension the alarms and the dashboard read.
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.Environment.Variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: Stack.of(stack).stackName,
        POWERTOOLS_METRICS_NAMESPACE: 'CsPulse',
      });
    }
  });

  it('graphs the API, every Lambda and the handlers’ own metrics on the stage’s dashboard', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboard!.Properties.DashboardName).toBe('cs-pulse-qa');
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    for (const metric of [
      'WebhookEventsAccepted',
      'WebhooksRejected',
      'WebhookServerErrors',
      'KpiPointsWritten',
      'DaysCompacted',
      '5xx',
      'Duration',
    ]) {
      expect(body).toContain(metric);
    }
  });
});
