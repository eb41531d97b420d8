import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { CfnNamedQuery, CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { type RegisteredQuery, renderSql } from '../queries/registry.js';

/** Where in the results bucket the workgroup puts query results. */
const RESULTS_PREFIX = 'results/';
/**
 * Where Athena puts the data of a CREATE TABLE AS in a workgroup that enforces its results location:
 * `<results location>/tables/<query id>/` (Athena's CREATE TABLE AS page), so inside the results prefix.
 */
const CTAS_PREFIX = `${RESULTS_PREFIX}tables/`;

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
        {
          // CTAS tables (the aggregation's per-run snapshots) land under results/tables/<query id>/: needed for
          // minutes, and dropping a table leaves its data behind.
          id: 'expire-ctas-tables',
          prefix: CTAS_PREFIX,
          expiration: Duration.days(1),
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
          outputLocation: `s3://${this.resultsBucket.bucketName}/${RESULTS_PREFIX}`,
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
    query.addResourceDependency(this.workGroup);
    return query;
  }

  /**
   * Saves each file of queries/ as a named query, its `{{database}}` filled in and named after its path
   * (`kpis/nps`, `views/unique_subscriptions`), so analysts find them grouped in the console: the views as the
   * CREATE VIEW statements the aggregation runs, the KPI, analysis and compaction SELECTs with their `?` parameters,
   * listed in the description. A file that serves several KPIs (kpis/revenue.sql) is saved once.
   */
  addRegisteredQueries(queries: readonly RegisteredQuery[]): CfnNamedQuery[] {
    const byFile = new Map<string, RegisteredQuery[]>();
    for (const query of queries) byFile.set(query.file, [...(byFile.get(query.file) ?? []), query]);
    return [...byFile].map(([file, served]) =>
      this.addNamedQuery(`Query-${file.replace(/[^A-Za-z0-9]/g, '-')}`, {
        name: file.replace(/\.sql$/, ''),
        description: namedQueryDescription(served),
        queryString: renderSql(served[0]!, this.databaseName),
      }),
    );
  }

  /**
   * Lets a function run queries in this workgroup and read their results. Reading the tables themselves is
   * granted by the data lake (DataLake.grantTableQueries).
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
    // Athena writes each result (and reads it back for GetQueryResults) with the caller's credentials, under the
    // workgroup's enforced output location; the data of a CREATE TABLE AS goes there too (CTAS_PREFIX).
    this.grantResultObjects(grantee, RESULTS_PREFIX, 'Athena names each result object after its query id');
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket', 's3:GetBucketLocation'],
        resources: [this.resultsBucket.bucketArn],
      }),
    );
  }

  private grantResultObjects(grantee: IGrantable, prefix: string, why: string): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [this.resultsBucket.arnForObjects(`${prefix}*`)],
      }),
    );
    if (Construct.isConstruct(grantee.grantPrincipal)) {
      const results = this.resultsBucket.node.defaultChild as CfnBucket;
      Validations.of(grantee.grantPrincipal).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(results)}.Arn>/${prefix}*]`,
        reason: `${why}; the grant covers the ${prefix} prefix of the workgroup results bucket only.`,
      });
    }
  }
}

/** Athena keeps at most 1024 characters of a named query's description. */
const DESCRIPTION_LIMIT = 1024;

function namedQueryDescription(served: readonly RegisteredQuery[]): string {
  const [query] = served as [RegisteredQuery, ...RegisteredQuery[]];
  const parameters = query.parameters.length
    ? ` Parameters, in order: ${query.parameters.map((parameter) => parameter.name).join(', ')}.`
    : '';
  const what =
    served.length === 1
      ? `${query.title}. ${query.description}`
      : `${served.map((each) => each.title).join(', ')}: one row per period and segment, a column each.`;
  const text = `${what}${parameters}`;
  return text.length <= DESCRIPTION_LIMIT ? text : `${text.slice(0, DESCRIPTION_LIMIT - 1)}…`;
}
