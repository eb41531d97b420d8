import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { CfnResource } from 'aws-cdk-lib';
import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { bundledQueryFiles } from '../../lib/kpi-aggregation.js';
import { PROJECT_ROOT } from '../../lib/lambda-function.js';
import { VIEWS } from '../../queries/registry.js';
import { policyStatements, sharedCsPulse } from './support/cdk-app.js';

const ref = (construct: { node: { defaultChild?: unknown } }) =>
  Stack.of(construct as never).getLogicalId(construct.node.defaultChild as CfnResource);

describe('KpiAggregation', () => {
  const { stack, template } = sharedCsPulse();
  const aggregation = stack.aggregation;
  const functionId = ref(aggregation.function);
  const queueId = ref(aggregation.deadLetterQueue);
  const statements = policyStatements(template, aggregation.function.role!);
  const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule')).filter((schedule) =>
    JSON.stringify(schedule.Properties.Target.Arn).includes(functionId),
  );

  it('runs the aggregate handler with 15 minutes to wait on Athena, told where everything is', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('KPI aggregation'),
      Timeout: 900,
      Environment: {
        Variables: Match.objectLike({
          CS_PULSE_LAKE_BUCKET: { Ref: ref(stack.lake.bucket) },
          CS_PULSE_GLUE_DATABASE: 'cs_pulse_dev',
          CS_PULSE_ATHENA_WORKGROUP: 'cs-pulse-dev',
          CS_PULSE_KPI_TABLE: { Ref: ref(stack.kpiStore.table) },
          CS_PULSE_QUERIES_DIR: '/var/task/queries',
          CS_PULSE_BACKFILL_DAYS: '3',
          CS_PULSE_LOW_SAMPLE_MIN: '30',
        }),
      },
    });
  });

  it('bundles every .sql file of queries/ at its own path under queries/', () => {
    const onDisk = (folder: string, prefix = ''): string[] =>
      readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory()
          ? onDisk(path.join(folder, entry.name), `${prefix}${entry.name}/`)
          : entry.name.endsWith('.sql')
            ? [`${prefix}${entry.name}`]
            : [],
      );
    const files = bundledQueryFiles();
    expect(Object.keys(files).sort()).toEqual(
      onDisk(path.join(PROJECT_ROOT, 'queries'))
        .map((file) => `queries/${file}`)
        .sort(),
    );
    for (const [destination, source] of Object.entries(files)) expect(source).toBe(destination);
  });

  it('is scheduled hourly (incremental) and daily (backfill), in UTC, with retries and the dead-letter queue', () => {
    expect(
      schedules
        .map((schedule) => [schedule.Properties.ScheduleExpression, schedule.Properties.Target.Input])
        .sort(),
    ).toEqual([
      ['cron(30 2 * * ? *)', '{"mode":"backfill"}'],
      ['rate(1 hour)', '{"mode":"incremental"}'],
    ]);
    for (const schedule of schedules) {
      expect(schedule.Properties).toMatchObject({
        State: 'ENABLED',
        ScheduleExpressionTimezone: 'Etc/UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
          RoleArn: { 'Fn::GetAtt': [ref(aggregation.job.schedulerRole), 'Arn'] },
        },
      });
    }
  });

  it('retries a failed run twice, then sends it to the same dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionId },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
  });

  it('keeps dead letters 14 days, encrypted, reachable over TLS only', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('lets Scheduler, for this account only, invoke this function and write to its dead-letter queue, nothing else', () => {
    const role = aggregation.job.schedulerRole;
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ],
      },
      Description: Match.stringLikeRegexp('KPI aggregation'),
    });
    const granted = policyStatements(template, role);
    expect(granted.map((statement) => statement.Action).sort()).toEqual([
      ['lambda:InvokeFunction'],
      ['sqs:SendMessage'],
    ]);
    expect(JSON.stringify(granted)).not.toMatch(/"\*"/);
    expect(
      JSON.stringify(granted.find((statement) => statement.Action[0] === 'lambda:InvokeFunction')!.Resource),
    ).toContain(functionId);
  });

  it('may run queries in the cs-pulse workgroup only', () => {
    const athena = statements.filter((statement) =>
      statement.Action.some((action) => action.startsWith('athena:')),
    );
    expect(athena).toHaveLength(1);
    expect(JSON.stringify(athena[0]!.Resource)).toMatch(/:workgroup\/cs-pulse-dev"/);
  });

  it('may read the normalized tables and their Parquet copies, never raw/, and write nothing to the lake', () => {
    const lakeStatements = statements.filter((statement) =>
      JSON.stringify(statement.Resource).includes(ref(stack.lake.bucket)),
    );
    const objectReads = lakeStatements.filter((statement) => statement.Action.includes('s3:GetObject'));
    expect(JSON.stringify(objectReads)).toContain('/tables/*');
    expect(JSON.stringify(objectReads)).toContain('/compacted/*');
    expect(JSON.stringify(lakeStatements)).not.toContain('/raw/');
    expect(
      lakeStatements.flatMap((statement) => statement.Action).filter((action) => /Put|Delete/.test(action)),
    ).toEqual([]);
    const listing = lakeStatements.find((statement) => statement.Action.includes('s3:ListBucket'))!;
    expect(listing).toMatchObject({
      Action: ['s3:ListBucket'],
      Condition: { StringLike: { 's3:prefix': ['tables/*', 'compacted/*'] } },
    });
    // A GetBucketLocation request names no prefix: under the listing's condition it would always be refused.
    const location = lakeStatements.find((statement) => statement.Action.includes('s3:GetBucketLocation'))!;
    expect(location.Condition).toBeUndefined();
  });

  it('may list the lake database’s tables (the stale-snapshot sweep), and only list them', () => {
    const everyTable = statements.filter((statement) =>
      JSON.stringify(statement.Resource).includes(':table/cs_pulse_dev/*"'),
    );
    expect(everyTable).toHaveLength(1);
    expect([everyTable[0]!.Action].flat()).toEqual(['glue:GetTables']);
  });

  it('may read the Glue metadata of named tables and views, and (re)define only the views', () => {
    const glue = (action: string) =>
      JSON.stringify(
        statements
          .filter((statement) => statement.Action.includes(action))
          .map((statement) => statement.Resource),
      );
    for (const name of [
      'subscriptions',
      'subscriptions_compacted',
      'all_subscriptions',
      'unique_subscriptions',
    ])
      expect(glue('glue:GetTable')).toContain(`:table/cs_pulse_dev/${name}"`);
    const definable = glue('glue:CreateTable');
    for (const view of VIEWS) expect(definable).toContain(`:table/cs_pulse_dev/${view.id}"`);
    expect(definable).not.toMatch(/:table\/cs_pulse_dev\/(subscriptions|survey_responses|raw_deliveries)"/);
    expect(glue('glue:GetTable') + definable).not.toMatch(/cs_pulse_dev\/\*/);
    expect(definable).not.toMatch(/:table\/cs_pulse_dev\/(?!cs_pulse_snapshot_)[a-z_]*\*/);
    // Dropping is for its own per-run snapshot tables, nothing else.
    const droppable = statements.filter((statement) => statement.Action.includes('glue:DeleteTable'));
    expect(JSON.stringify(droppable.map((statement) => statement.Resource))).toMatch(
      /:table\/cs_pulse_dev\/cs_pulse_snapshot_\*"/,
    );
    expect(JSON.stringify(droppable.map((statement) => statement.Resource))).not.toMatch(
      /:table\/cs_pulse_dev\/(?!cs_pulse_snapshot_)/,
    );
  });

  it('may read and write the KPI table', () => {
    const dynamo = statements.filter((statement) =>
      statement.Action.some((action) => action.startsWith('dynamodb:')),
    );
    const actions = dynamo.flatMap((statement) => statement.Action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'dynamodb:Query',
        'dynamodb:GetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:PutItem',
      ]),
    );
    for (const statement of dynamo)
      expect(JSON.stringify(statement.Resource)).toContain(ref(stack.kpiStore.table));
  });

  it('alarms on its errors, its throttles and any dead letter', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    const about = (id: string) =>
      alarms.filter((alarm) => JSON.stringify(alarm.Properties.Dimensions).includes(id));
    expect(
      about(functionId)
        .map((alarm) => alarm.Properties.MetricName)
        .sort(),
    ).toEqual(['Errors', 'Throttles']);
    expect(about(queueId)).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Statistic: 'Maximum',
          Threshold: 1,
        }),
      }),
    ]);
  });
});
