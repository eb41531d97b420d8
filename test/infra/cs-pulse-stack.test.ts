import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { WEBHOOK_SOURCES } from '../../lambdas/sources/registry.js';
import { synthCsPulse } from './support/cdk-app.js';

const STATEFUL = [
  'AWS::S3::Bucket',
  'AWS::DynamoDB::GlobalTable',
  'AWS::SecretsManager::Secret',
  'AWS::KMS::Key',
  'AWS::Logs::LogGroup',
];

describe('CsPulseStack', () => {
  const { stack, template } = synthCsPulse({ stage: 'qa', alarmEmail: 'ops@example.com' });

  it('is named after the stage, as are its database, workgroup and dashboard', () => {
    expect(stack.stackName).toBe('CsPulse-qa');
    template.hasResourceProperties('AWS::Glue::Database', {
      DatabaseInput: Match.objectLike({ Name: 'cs_pulse_qa' }),
    });
    template.hasResourceProperties('AWS::Athena::WorkGroup', { Name: 'cs-pulse-qa' });
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'cs-pulse-qa' });
  });

  it('outputs a webhook URL for every registered source', () => {
    const outputs = template.findOutputs('*');
    for (const source of WEBHOOK_SOURCES) {
      const entry = Object.values(outputs).find((output) =>
        JSON.stringify(output.Value).endsWith(`/webhooks/${source.name}"]]}`),
      );
      expect(entry, `no output for ${source.name}`).toBeDefined();
      expect(entry!.Description).toContain(source.title);
    }
  });

  it('outputs the API URL, the workgroup, the database, the secret, the bucket and the KPI table', () => {
    const outputs = template.findOutputs('*');
    expect(outputs).toMatchObject({
      ApiUrl: { Value: expect.anything() },
      AthenaWorkgroupName: { Value: 'cs-pulse-qa' },
      GlueDatabaseName: { Value: 'cs_pulse_qa' },
      WebhookSecretArn: { Value: expect.anything() },
      LakeBucketName: { Value: expect.anything() },
      KpiTableName: { Value: expect.anything() },
      AlarmTopicArn: { Value: expect.anything() },
    });
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
    expect(alarms).toHaveLength(2 * functions.length + 4);
    const alarmedFunctions = alarms.flatMap((alarm) =>
      (alarm.Properties.Dimensions ?? [])
        .filter((dimension: { Name: string }) => dimension.Name === 'FunctionName')
        .map((dimension: { Value: { Ref: string } }) => dimension.Value.Ref),
    );
    for (const fn of functions) expect(alarmedFunctions).toContain(fn);
    const [topicId] = Object.keys(template.findResources('AWS::SNS::Topic'));
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

  it('alarms on signature refusals by the metric the ingest handler publishes, for this stack only', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'CsPulse',
      MetricName: 'WebhookSignaturesRejected',
      Dimensions: [{ Name: 'service', Value: stack.stackName }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 10,
    });
    // Every function publishes under the stack's name, the dimension the alarm and the dashboard read.
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.Environment.Variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: stack.stackName,
        POWERTOOLS_METRICS_NAMESPACE: 'CsPulse',
      });
    }
    const dashboard = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    for (const metric of ['WebhookEventsAccepted', 'WebhooksRejected', 'KpiPointsWritten', 'DaysCompacted']) {
      expect(dashboard).toContain(metric);
    }
  });

  it('encrypts the alarm topic with a rotated key CloudWatch may use, and e-mails the alarms', () => {
    const [keyId] = Object.keys(template.findResources('AWS::KMS::Key'));
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  it('has no e-mail subscription when no address is configured', () => {
    synthCsPulse().template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('makes every Lambda through the cs-pulse function construct (Node 24, arm64, JSON logs)', () => {
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
    });
  });

  it('retains every stateful resource by default', () => {
    for (const type of STATEFUL) template.allResources(type, { DeletionPolicy: 'Retain' });
  });

  it('lets a throw-away stage delete its resources with retainData=false', () => {
    const destroyable = synthCsPulse({ stage: 'tmp', retainData: 'false' }).template;
    for (const type of STATEFUL) destroyable.allResources(type, { DeletionPolicy: 'Delete' });
  });
});
