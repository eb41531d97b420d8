import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnNamedQuery, CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface AnalyticsWorkgroupProps {
  /** The workgroup name. */
  readonly workGroupName: string;
  /** The Glue database named queries run against. */
  readonly databaseName: string;
  /** Largest number of bytes one query may scan before Athena cancels it. @default 10 GiB */
  readonly bytesScannedCutoffPerQuery?: number;
  /** Days query results are kept. @default 7 */
  readonly resultsRetentionDays?: number;
  /** Where the results bucket's server access logs go. @default - no access logs */
  readonly accessLogsBucket?: IBucket;
  /** What happens to the results bucket when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

export interface NamedQueryOptions {
  readonly name: string;
  readonly description: string;
  /** The SQL, with `?` placeholders for values (Athena execution parameters). */
  readonly queryString: string;
}

/**
 * The Athena workgroup cs-pulse queries run in, with its settings enforced so no client can override them: engine
 * v3, results encrypted in their own bucket (expired after a few days), a per-query scan cutoff, CloudWatch metrics.
 */
export class AnalyticsWorkgroup extends Construct {
  readonly workGroup: CfnWorkGroup;
  readonly workGroupName: string;
  readonly resultsBucket: Bucket;
  private readonly databaseName: string;

  constructor(scope: Construct, id: string, props: AnalyticsWorkgroupProps) {
    super(scope, id);
    this.workGroupName = props.workGroupName;
    this.databaseName = props.databaseName;
    this.resultsBucket = new Bucket(this, 'Results', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'expire-query-results',
          expiration: Duration.days(props.resultsRetentionDays ?? 7),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      ...(props.accessLogsBucket
        ? { serverAccessLogsBucket: props.accessLogsBucket, serverAccessLogsPrefix: 'athena-results/' }
        : {}),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: props.workGroupName,
      description: 'cs-pulse KPI and analysis queries',
      state: 'ENABLED',
      // Lets `cdk destroy` remove the workgroup even when it holds named queries and query history.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery ?? 10 * 1024 ** 3,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }

  /** Saves a query in the workgroup, run against the lake database (the KPI and analysis SQL of queries/). */
  addNamedQuery(id: string, options: NamedQueryOptions): CfnNamedQuery {
    const query = new CfnNamedQuery(this, id, {
      name: options.name,
      description: options.description,
      database: this.databaseName,
      queryString: options.queryString,
      workGroup: this.workGroupName,
    });
    query.addDependency(this.workGroup);
    return query;
  }

  /**
   * Lets a function run queries in this workgroup and read their results. Reading the tables themselves is
   * granted by the data lake (DataLake.grantRead).
   */
  grantQueryExecution(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'athena:StartQueryExecution',
          'athena:GetQueryExecution',
          'athena:GetQueryResults',
          'athena:StopQueryExecution',
          'athena:GetWorkGroup',
        ],
        resources: [
          Stack.of(this).formatArn({
            service: 'athena',
            resource: 'workgroup',
            resourceName: this.workGroupName,
          }),
        ],
      }),
    );
    this.resultsBucket.grantReadWrite(grantee);
  }
}
