import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { AnalyticsWorkgroup } from '../../lib/analytics-workgroup.js';
import { ALL_QUERIES, renderSql } from '../../queries/registry.js';
import { policyStatements, sharedCsPulse, testStack } from './support/cdk-app.js';

describe('AnalyticsWorkgroup', () => {
  const stack = testStack();
  const logs = new Bucket(stack, 'Logs');
  const workgroup = new AnalyticsWorkgroup(stack, 'Analytics', {
    workGroupName: 'cs-pulse-test',
    databaseName: 'cs_pulse_test',
    bytesScannedCutoffPerQuery: 1024 ** 3,
    resultsRetentionDays: 3,
    accessLogsBucket: logs,
  });
  workgroup.addNamedQuery('Nps', {
    name: 'nps',
    description: 'Net Promoter Score per month',
    queryString: 'SELECT 1 WHERE ? > 0',
  });
  const runner = new Role(stack, 'Runner', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  workgroup.grantQueryExecution(runner);
  const template = Template.fromStack(stack);
  const resultsId = stack.getLogicalId(workgroup.resultsBucket.node.defaultChild as never);

  it('enforces its configuration on every query: engine v3, a scan cutoff, metrics', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'cs-pulse-test',
      RecursiveDeleteOption: true,
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: 1024 ** 3,
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
      }),
    });
  });

  it('writes results encrypted into its own results bucket', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        ResultConfiguration: {
          OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: resultsId }, '/results/']] },
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
        },
      }),
    });
  });

  it('expires results, blocks public access, requires TLS and logs accesses', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({ ExpirationInDays: 3, Status: 'Enabled' }),
            // CREATE TABLE AS data (the aggregation's per-run snapshots) is needed for minutes only; Athena puts it
            // under the results location's tables/ folder.
            Match.objectLike({ Prefix: 'results/tables/', ExpirationInDays: 1, Status: 'Enabled' }),
          ],
        },
        PublicAccessBlockConfiguration: Match.objectLike({
          BlockPublicAcls: true,
          RestrictPublicBuckets: true,
        }),
        BucketEncryption: Match.anyValue(),
        LoggingConfiguration: {
          DestinationBucketName: { Ref: Match.anyValue() },
          LogFilePrefix: 'athena-results/',
        },
      }),
      DeletionPolicy: 'Retain',
    });
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find((candidate) =>
      JSON.stringify(candidate.Properties.Bucket).includes(resultsId),
    );
    expect(JSON.stringify(policy?.Properties.PolicyDocument)).toContain('aws:SecureTransport');
  });

  it('saves named queries in the workgroup, against the lake database', () => {
    template.hasResourceProperties('AWS::Athena::NamedQuery', {
      Name: 'nps',
      Database: 'cs_pulse_test',
      WorkGroup: 'cs-pulse-test',
      QueryString: 'SELECT 1 WHERE ? > 0',
    });
  });

  it('grants running queries in this workgroup only, and reading and writing its results', () => {
    const statements = policyStatements(template, runner);
    const athena = statements.find((statement) => statement.Action.includes('athena:StartQueryExecution'))!;
    expect(athena.Action).toEqual(
      expect.arrayContaining([
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:StopQueryExecution',
      ]),
    );
    expect(JSON.stringify(athena.Resource)).toContain(':workgroup/cs-pulse-test');
    const s3Resources = JSON.stringify(
      statements.filter((statement) => statement.Action.some((action) => action.startsWith('s3:'))),
    );
    expect(s3Resources).toContain(resultsId);
  });
});

describe('the named queries of the deployed workgroup', () => {
  const { template } = sharedCsPulse();
  const named = Object.values(template.findResources('AWS::Athena::NamedQuery')).map(
    (query) => query.Properties,
  );

  it('has one per file in queries/, named after its path, in the cs-pulse workgroup and database', () => {
    const files = [...new Set(ALL_QUERIES.map((query) => query.file))];
    expect(named.map((query) => query.Name).sort()).toEqual(
      files.map((file) => file.replace(/\.sql$/, '')).sort(),
    );
    for (const query of named)
      expect(query).toMatchObject({ Database: 'cs_pulse_dev', WorkGroup: 'cs-pulse-dev' });
  });

  it('holds exactly the SQL the jobs run, with the database filled in', () => {
    for (const query of ALL_QUERIES) {
      const saved = named.find((candidate) => candidate.Name === query.file.replace(/\.sql$/, ''))!;
      expect(saved.QueryString).toBe(renderSql(query, 'cs_pulse_dev'));
      expect(saved.QueryString).not.toContain('{{database}}');
      if (query.kind === 'view')
        expect(saved.QueryString).toContain(`CREATE OR REPLACE VIEW cs_pulse_dev.${query.id} AS`);
    }
  });

  it('lists the ? parameters in order in the description, within Athena’s 1024 characters', () => {
    const surveys = named.find((query) => query.Name === 'kpis/surveys')!;
    expect(surveys.Description).toContain(
      'Parameters, in order: grain, period_from, as_of, low_sample_min, first_dt, last_dt.',
    );
    for (const query of named) expect(query.Description.length).toBeLessThanOrEqual(1024);
    // One file, several KPIs: saved once, each named (six revenue KPIs, three survey KPIs).
    const revenue = named.find((query) => query.Name === 'kpis/revenue')!;
    expect(revenue.Description).toMatch(/^Monthly recurring revenue, Active accounts, .*Net MRR retention: /);
    expect(surveys.Description).toMatch(
      /^Net Promoter Score, Customer Effort Score, Customer Satisfaction: /,
    );
  });
});
