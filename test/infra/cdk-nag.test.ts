import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { addCsPulse } from '../../lib/app.js';
import { testApp } from './support/cdk-app.js';

interface ValidationReport {
  pluginReports: { pluginName: string; violations: { ruleName: string; severity: string }[] }[];
}

/** Synthesizes the app; a finding interrupts synthesis, and its report becomes the failure message. */
function synthesize(app: ReturnType<typeof testApp>): { error?: string; report?: ValidationReport } {
  try {
    app.synth();
  } catch (error) {
    return { error: (error as Error).message };
  }
  const reportFile = path.join(app.outdir, 'validation-report.json');
  return existsSync(reportFile)
    ? { report: JSON.parse(readFileSync(reportFile, 'utf8')) as ValidationReport }
    : {};
}

/** Every acknowledgement in the app: where, which rule, why. */
function acknowledgements(app: ReturnType<typeof testApp>): { path: string; id: string; reason: string }[] {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/**
 * The whole app under the AWS Solutions rules of cdk-nag (and CDK's built-in CloudFormation validation), exactly as
 * `cdk synth` runs them: no finding may be left unacknowledged.
 */
describe('cdk-nag AwsSolutions checks on the whole app', () => {
  const app = testApp({}, { validateTemplates: true });
  addCsPulse(app);
  const outcome = synthesize(app);

  it('synthesizes with no unacknowledged finding', () => {
    expect(outcome.error).toBeUndefined();
    const violations = (outcome.report?.pluginReports ?? []).flatMap((plugin) =>
      plugin.violations.map(
        (violation) => `${plugin.pluginName}: ${violation.ruleName} (${violation.severity})`,
      ),
    );
    expect(violations).toEqual([]);
  });

  it('acknowledges only these findings, each on one construct, for a stated reason', () => {
    const acknowledged = acknowledgements(app);

    expect(
      acknowledged
        .map(({ path: at, id }) => `${at} ${id.replace(/<([A-Za-z]+?)[0-9A-F]{8}\.Arn>/, '<$1>')}`)
        .sort(),
    ).toEqual(
      [
        'CsPulse-dev/HttpApi/Api/ANY--webhooks--{source} AwsSolutions-APIG4',
        'CsPulse-dev/Lake/AccessLogs AwsSolutions-S1',
        'CsPulse-dev/WebhookIngest/FunctionRole AwsSolutions-IAM5[Resource::<LakeBucket>/raw/*]',
        'CsPulse-dev/WebhookIngest/FunctionRole AwsSolutions-IAM5[Resource::<LakeBucket>/tables/*]',
        'CsPulse-dev/WebhookSecrets/Secret AwsSolutions-SMG4',
        // The scheduled jobs: their dead-letter queues have none behind them, Scheduler may invoke the function's
        // versions, and Athena's reads and writes go through the jobs' own credentials, by prefix.
        'CsPulse-dev/Aggregation/Job/DeadLetters AwsSolutions-SQS3',
        'CsPulse-dev/Aggregation/Job/SchedulerRole AwsSolutions-IAM5[Resource::<AggregationJobFunction>:*]',
        'CsPulse-dev/Aggregation/Job/FunctionRole AwsSolutions-IAM5[Resource::<AnalyticsResults>/results/*]',
        'CsPulse-dev/Aggregation/Job/FunctionRole AwsSolutions-IAM5[Resource::<LakeBucket>/tables/*]',
        'CsPulse-dev/Aggregation/Job/FunctionRole AwsSolutions-IAM5[Resource::<LakeBucket>/compacted/*]',
        // Its per-run snapshot tables: CTAS data in the results bucket, Glue tables by name prefix, and the listing
        // of the database's tables (GetTables only) that sweeps the stale ones.
        'CsPulse-dev/Aggregation/Job/FunctionRole AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/cs_pulse_dev/cs_pulse_snapshot_*]',
        'CsPulse-dev/Aggregation/Job/FunctionRole AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/cs_pulse_dev/*]',
        'CsPulse-dev/Compaction/Job/DeadLetters AwsSolutions-SQS3',
        'CsPulse-dev/Compaction/Job/SchedulerRole AwsSolutions-IAM5[Resource::<CompactionJobFunction>:*]',
        'CsPulse-dev/Compaction/Job/FunctionRole AwsSolutions-IAM5[Resource::<AnalyticsResults>/results/*]',
        'CsPulse-dev/Compaction/Job/FunctionRole AwsSolutions-IAM5[Resource::<LakeBucket>/tables/*]',
        'CsPulse-dev/Compaction/Job/FunctionRole AwsSolutions-IAM5[Resource::<LakeBucket>/compacted/*]',
      ].sort(),
    );
    for (const { id, reason } of acknowledged) {
      expect(reason.length, `${id} needs a real reason`).toBeGreaterThan(40);
      // Findings that come one per wildcard are acknowledged one wildcard at a time, never wholesale.
      if (/IAM[45]/.test(id)) expect(id).toMatch(/\[.+\]$/);
    }
    expect(acknowledged.filter(({ path: at }) => at === 'CsPulse-dev' || at === '')).toEqual([]);
  });

  it('has no unacknowledged finding either when the account and region are known, as in `cdk deploy`', () => {
    // ARNs are then literal where the tests see references: acknowledgements must name them as cdk-nag prints them.
    const saved = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
    process.env.CDK_DEFAULT_ACCOUNT = '123456789012';
    process.env.CDK_DEFAULT_REGION = 'eu-west-1';
    try {
      const located = testApp();
      addCsPulse(located);
      const { error, report } = synthesize(located);
      expect(error).toBeUndefined();
      expect((report?.pluginReports ?? []).flatMap((plugin) => plugin.violations)).toEqual([]);
    } finally {
      for (const [key, value] of [
        ['CDK_DEFAULT_ACCOUNT', saved.account],
        ['CDK_DEFAULT_REGION', saved.region],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('stops synthesis when a construct breaks a rule (the checks really run)', () => {
    const broken = testApp();
    const stack = addCsPulse(broken);
    new Bucket(stack, 'UnloggedBucket'); // no access logs, no TLS requirement

    const { error } = synthesize(broken);

    expect(error).toMatch(/AwsSolutions-S1/);
    expect(error).toMatch(/AwsSolutions-S10/);
  });
});
