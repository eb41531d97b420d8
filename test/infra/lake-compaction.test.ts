import { type CfnResource, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { policyStatements, sharedCsPulse } from './support/cdk-app.js';

const ref = (construct: { node: { defaultChild?: unknown } }) =>
  Stack.of(construct as never).getLogicalId(construct.node.defaultChild as CfnResource);

describe('LakeCompaction', () => {
  const { stack, template } = sharedCsPulse();
  const compaction = stack.compaction;
  const functionId = ref(compaction.function);
  const bucketId = ref(stack.lake.bucket);
  const statements = policyStatements(template, compaction.function.role!);
  const onLake = (action: string) =>
    statements
      .filter((statement) => statement.Action.includes(action))
      .filter((statement) => JSON.stringify(statement.Resource).includes(bucketId))
      .map((statement) => JSON.stringify(statement.Resource));

  it('runs the compaction handler with the SQL bundled, a day at a time up to its limit', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('compaction'),
      Timeout: 900,
      Environment: {
        Variables: Match.objectLike({
          CS_PULSE_LAKE_BUCKET: { Ref: bucketId },
          CS_PULSE_GLUE_DATABASE: 'cs_pulse_dev',
          CS_PULSE_ATHENA_WORKGROUP: 'cs-pulse-dev',
          CS_PULSE_QUERIES_DIR: '/var/task/queries',
          CS_PULSE_COMPACTION_MAX_DAYS: '30',
        }),
      },
    });
  });

  it('is scheduled daily just after midnight UTC, with retries and its dead-letter queue', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(15 0 * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      Target: {
        Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
        Input: '{}',
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [ref(compaction.deadLetterQueue), 'Arn'] } },
        RoleArn: Match.anyValue(),
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionId },
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [ref(compaction.deadLetterQueue), 'Arn'] } },
      },
    });
  });

  it('writes only under compacted/ and deletes only under tables/: raw/ is out of its reach', () => {
    expect(onLake('s3:PutObject')).toEqual([expect.stringMatching(/\/compacted\/\*"\]\]\}$/)]);
    expect(onLake('s3:AbortMultipartUpload')).toEqual(onLake('s3:PutObject'));
    expect(onLake('s3:DeleteObject')).toEqual([expect.stringMatching(/\/tables\/\*"\]\]\}$/)]);
    expect(JSON.stringify(statements)).not.toContain('/raw/');
    expect(statements.flatMap((statement) => statement.Action)).not.toContain('s3:DeleteObjectVersion');
  });

  it('may register and update partitions of the compacted tables only, and define no view', () => {
    const partitions = statements.find((statement) =>
      statement.Action.includes('glue:BatchCreatePartition'),
    )!;
    expect(partitions.Action).toEqual(
      expect.arrayContaining(['glue:UpdatePartition', 'glue:BatchUpdatePartition']),
    );
    expect(partitions.Action.filter((action) => /Delete/.test(action))).toEqual([]);
    const tables = JSON.stringify(partitions.Resource).match(/:table\/cs_pulse_dev\/[a-z_]+/g);
    expect(tables?.sort()).toEqual(
      ['account_attributes', 'accounts', 'subscriptions', 'survey_responses'].map(
        (name) => `:table/cs_pulse_dev/${name}_compacted`,
      ),
    );
    expect(statements.flatMap((statement) => statement.Action)).not.toContain('glue:CreateTable');
  });

  it('runs queries in the cs-pulse workgroup and touches no KPI table', () => {
    const athena = statements.find((statement) => statement.Action.includes('athena:StartQueryExecution'))!;
    expect(JSON.stringify(athena.Resource)).toMatch(/:workgroup\/cs-pulse-dev"/);
    expect(
      statements.flatMap((statement) => statement.Action).filter((action) => action.startsWith('dynamodb:')),
    ).toEqual([]);
  });
});
