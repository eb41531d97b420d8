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

  it('gives Athena and ingest the same lake start: the projection range, and the day ingest warns before', () => {
    const located = synthCsPulse({ lakeStartDate: '2023-01-01' }).template;
    located.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'survey_responses',
        Parameters: Match.objectLike({ 'projection.dt.range': '2023-01-01,NOW+1DAYS' }),
      }),
    });
    located.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('webhook ingest'),
      Environment: { Variables: Match.objectLike({ CS_PULSE_LAKE_START_DATE: '2023-01-01' }) },
    });
  });

  it('outputs each scheduled job with a command that runs it now as AWS CLI v2 takes it', () => {
    const outputs = template.findOutputs('*');
    for (const name of ['AggregationFunctionName', 'CompactionFunctionName']) {
      const description: string = outputs[name]!.Description;
      // Asynchronously (a run outlasts the CLI's read timeout), a JSON payload passed raw, quoted for the shell.
      expect(description).toMatch(/aws lambda invoke --function-name <this> --invocation-type Event/);
      expect(description).toContain('--cli-binary-format raw-in-base64-out');
      expect(description).toMatch(/--payload '\{.*\}' \/dev\/null$/);
    }
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
