import { type CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { Effect, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  type LifecycleRule,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { COMPACTED_PREFIX, RAW_PREFIX, TABLES_PREFIX } from '../lambdas/lake/layout.js';
import type { LakeTableDefinition, TableFormat } from './tables/table-definition.js';

export interface DataLakeProps {
  /** Every table to declare in Glue (lib/tables/lake-tables.ts). */
  readonly tables: readonly LakeTableDefinition[];
  /** The Glue database name: lower case, digits and underscores. @default 'cs_pulse' */
  readonly databaseName?: string;
  /** Earliest `dt=` partition Athena projects, `YYYY-MM-DD`. @default '2015-01-01' */
  readonly projectionStartDate?: string;
  /** Days after which raw/ bodies move to Standard-IA (≥ 30). @default 90 */
  readonly rawInfrequentAccessDays?: number;
  /** Days after which raw/ bodies are deleted. @default - kept forever (replay rebuilds the tables from them) */
  readonly rawRetentionDays?: number;
  /** Days an overwritten or deleted object version is kept. @default 30 */
  readonly noncurrentVersionRetentionDays?: number;
  /** Days S3 server access logs are kept. @default 90 */
  readonly accessLogRetentionDays?: number;
  /** What happens to the buckets when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The lake: one S3 bucket with the layout of lambdas/lake/layout.ts (raw/ archive, tables/ normalized rows), a
 * separate bucket for its server access logs, and a Glue database with one table per lake table. Every table uses
 * partition projection, so a new day or source is queryable at once, with no crawler or MSCK REPAIR.
 */
export class DataLake extends Construct {
  readonly bucket: Bucket;
  /** Receives the server access logs of this and the other cs-pulse buckets. */
  readonly accessLogsBucket: Bucket;
  readonly databaseName: string;
  /** The Glue tables, by table name. */
  readonly tables: ReadonlyMap<string, CfnTable>;
  private readonly database: CfnDatabase;
  /** The cdk-nag acknowledgements made by grantPrefixes, by role path and rule, so none is made twice. */
  private readonly acknowledged = new Set<string>();
  private readonly projectionStartDate: string;

  constructor(scope: Construct, id: string, props: DataLakeProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.projectionStartDate = props.projectionStartDate ?? '2015-01-01';

    this.accessLogsBucket = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // S3 log delivery writes only to buckets encrypted with S3-managed keys.
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        { id: 'expire-access-logs', expiration: Duration.days(props.accessLogRetentionDays ?? 90) },
      ],
      removalPolicy,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access log bucket itself; logging its own accesses into itself would loop.',
    });

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'lake/',
      lifecycleRules: lakeLifecycle(props),
      removalPolicy,
    });

    this.databaseName = props.databaseName ?? 'cs_pulse';
    this.database = new CfnDatabase(this, 'Database', {
      catalogId: Stack.of(this).account,
      databaseInput: {
        name: this.databaseName,
        description: 'cs-pulse lake: raw webhook archive and normalized customer-success tables',
      },
    });

    const tables = new Map<string, CfnTable>();
    for (const definition of props.tables) tables.set(definition.name, this.addTable(definition));
    this.tables = tables;
  }

  /** Declares one more table (a compacted Parquet table, say) in the lake's Glue database. */
  addTable(definition: LakeTableDefinition): CfnTable {
    const location = `s3://${this.bucket.bucketName}/${definition.prefix}`;
    const template = `${location}${definition.partitionKeys.map((key) => `${key.name}=\${${key.name}}/`).join('')}`;
    const table = new CfnTable(this, `Table-${definition.name}`, {
      catalogId: Stack.of(this).account,
      databaseName: this.databaseName,
      tableInput: {
        name: definition.name,
        description: definition.description,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          EXTERNAL: 'TRUE',
          classification: definition.format === 'parquet' ? 'parquet' : 'json',
          'projection.enabled': 'true',
          ...projectionParameters(definition, this.projectionStartDate),
          'storage.location.template': template,
        },
        partitionKeys: definition.partitionKeys.map(({ name, type, comment }) => ({ name, type, comment })),
        storageDescriptor: {
          location,
          columns: definition.columns.map(({ name, type, comment }) => ({ name, type, comment })),
          ...storageFormat(definition.format),
          compressed: false,
          storedAsSubDirectories: false,
        },
      },
    });
    table.addResourceDependency(this.database);
    return table;
  }

  /** Lets ingest write new objects under raw/ and tables/, and nothing else in the bucket. */
  grantIngestWrite(grantee: IGrantable): void {
    const prefixes = [RAW_PREFIX, TABLES_PREFIX];
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['s3:PutObject'],
        resources: prefixes.map((prefix) => this.bucket.arnForObjects(`${prefix}*`)),
      }),
    );
    // Object keys are not known in advance (one per delivery), so a prefix wildcard is the narrowest grant there is.
    if (Construct.isConstruct(grantee.grantPrincipal)) {
      const bucketArn = nagReference(this.bucket.node.defaultChild as CfnBucket, 'Arn');
      for (const prefix of prefixes) {
        Validations.of(grantee.grantPrincipal).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${bucketArn}/${prefix}*]`,
          reason: `Ingest writes one new object per delivery under ${prefix}; the grant is PutObject on that prefix only.`,
        });
      }
    }
  }

  /**
   * Lets a function query the normalized tables through Athena with its own credentials, as Athena reads with the
   * caller's: the objects under tables/ and compacted/ (never raw/), the listing of those prefixes, and the Glue
   * metadata of the database, of every table and of the named views.
   */
  grantTableQueries(grantee: IGrantable, viewNames: readonly string[]): void {
    const prefixes = [TABLES_PREFIX, COMPACTED_PREFIX];
    this.grantPrefixes(grantee, ['s3:GetObject'], prefixes);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}*`) } },
      }),
    );
    // Apart from ListBucket: a GetBucketLocation request carries no s3:prefix, so the condition would refuse it.
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['s3:GetBucketLocation'],
        resources: [this.bucket.bucketArn],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [
          'glue:GetDatabase',
          'glue:GetTable',
          'glue:GetTables',
          'glue:GetPartition',
          'glue:GetPartitions',
        ],
        resources: [
          this.glueArn('catalog'),
          this.glueArn('database', this.databaseName),
          ...[...this.tables.keys(), ...viewNames].map((name) =>
            this.glueArn('table', `${this.databaseName}/${name}`),
          ),
        ],
      }),
    );
  }

  /** Lets a function run CREATE OR REPLACE VIEW for these views (Athena keeps views as Glue tables), and no others. */
  grantViewDefinitions(grantee: IGrantable, viewNames: readonly string[]): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['glue:CreateTable', 'glue:UpdateTable'],
        resources: [
          this.glueArn('catalog'),
          this.glueArn('database', this.databaseName),
          ...viewNames.map((name) => this.glueArn('table', `${this.databaseName}/${name}`)),
        ],
      }),
    );
  }

  /**
   * Lets the compaction job write the Parquet copies (Athena's INSERT INTO writes with the caller's credentials) and
   * delete the JSON files it copied. Nothing under raw/ can be written or deleted.
   */
  grantCompaction(grantee: IGrantable, compactedTableNames: readonly string[]): void {
    this.grantPrefixes(
      grantee,
      ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      [COMPACTED_PREFIX],
    );
    this.grantPrefixes(grantee, ['s3:DeleteObject'], [TABLES_PREFIX]);
    // Athena may register the partitions an INSERT INTO writes, or update one a later INSERT appends to; its
    // documentation does not say whether it does for tables with partition projection, so this is allowed on the
    // compacted tables only.
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [
          'glue:BatchCreatePartition',
          'glue:CreatePartition',
          'glue:BatchUpdatePartition',
          'glue:UpdatePartition',
        ],
        resources: [
          this.glueArn('catalog'),
          this.glueArn('database', this.databaseName),
          ...compactedTableNames.map((name) => this.glueArn('table', `${this.databaseName}/${name}`)),
        ],
      }),
    );
  }

  /**
   * Lets a function create, read and drop the aggregation's per-run snapshot tables (named with a fixed prefix, one
   * set per run, so their names are not known in advance), and list the database's tables to sweep stale ones.
   */
  grantSnapshotTables(grantee: IGrantable, tablePrefix: string): void {
    const snapshots = this.glueArn('table', `${this.databaseName}/${tablePrefix}*`);
    const everyTable = this.glueArn('table', `${this.databaseName}/*`);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['glue:CreateTable', 'glue:DeleteTable', 'glue:GetTable'],
        resources: [this.glueArn('catalog'), this.glueArn('database', this.databaseName), snapshots],
      }),
    );
    // SHOW TABLES (the sweep of tables a crashed run left) is GetTables, which Glue authorizes on every table of the
    // database, whatever the pattern: it lists names and schemas, it reads and changes no data.
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['glue:GetTables'],
        resources: [this.glueArn('catalog'), this.glueArn('database', this.databaseName), everyTable],
      }),
    );
    if (Construct.isConstruct(grantee.grantPrincipal)) {
      Validations.of(grantee.grantPrincipal).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagString(this, snapshots)}]`,
        reason:
          'Each aggregation run materializes its views as tables named after the run; the grant covers tables ' +
          `with the ${tablePrefix} prefix in the lake database only.`,
      });
      Validations.of(grantee.grantPrincipal).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagString(this, everyTable)}]`,
        reason:
          'glue:GetTables only (SHOW TABLES, to sweep stale snapshot tables), which Glue checks against every table ' +
          'of the database; it lists table metadata of the lake database and nothing else.',
      });
    }
  }

  private glueArn(resource: string, name?: string): string {
    return Stack.of(this).formatArn({ service: 'glue', resource, ...(name ? { resourceName: name } : {}) });
  }

  /**
   * Object actions under key prefixes. Keys are not known in advance (one per delivery, or named by Athena), so a
   * prefix wildcard is the narrowest grant there is; each is acknowledged to cdk-nag once per role and prefix.
   */
  private grantPrefixes(grantee: IGrantable, actions: string[], prefixes: string[]): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions,
        resources: prefixes.map((prefix) => this.bucket.arnForObjects(`${prefix}*`)),
      }),
    );
    if (!Construct.isConstruct(grantee.grantPrincipal)) return;
    const principal = grantee.grantPrincipal;
    const bucketArn = nagReference(this.bucket.node.defaultChild as CfnBucket, 'Arn');
    for (const prefix of prefixes) {
      const id = `AwsSolutions-IAM5[Resource::${bucketArn}/${prefix}*]`;
      if (this.acknowledged.has(`${principal.node.path} ${id}`)) continue;
      this.acknowledged.add(`${principal.node.path} ${id}`);
      Validations.of(principal).acknowledge({
        id,
        reason: `Object grants under ${prefix} only: it holds ${PREFIX_CONTENTS[prefix]}, keys not known in advance.`,
      });
    }
  }
}

/** What each prefix holds, for the reasons of the acknowledged wildcard grants. */
const PREFIX_CONTENTS: Readonly<Record<string, string>> = {
  [TABLES_PREFIX]: 'one JSON-lines object per delivery and table',
  [COMPACTED_PREFIX]: 'the Parquet files of compacted days, named by Athena',
};

/**
 * A string as cdk-nag prints it in a finding: literals as they are, `Ref`s as `<Name>`, attributes as
 * `<LogicalId.Attribute>`. An ARN built by formatArn is literal where the stack's environment is known (a
 * `cdk synth` with a region) and a reference where it is not (the tests), so acknowledgements are built the same way.
 */
function nagString(scope: Construct, value: string): string {
  const resolved: unknown = Stack.of(scope).resolve(value);
  if (typeof resolved === 'string') return resolved;
  const join = (resolved as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) throw new Error(`cannot name ${JSON.stringify(resolved)} as cdk-nag does`);
  return join[1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = (part as { Ref?: string }).Ref;
      if (ref) return `<${ref}>`;
      const attribute = (part as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
      if (attribute) return `<${attribute[0]}.${attribute[1]}>`;
      throw new Error(`cannot name ${JSON.stringify(part)} as cdk-nag does`);
    })
    .join(join[0]);
}

/** How cdk-nag names an attribute of a resource in its findings: `<LogicalId.Attribute>`. */
function nagReference(resource: CfnResource, attribute: string): string {
  return `<${Stack.of(resource).getLogicalId(resource)}.${attribute}>`;
}

function lakeLifecycle(props: DataLakeProps): LifecycleRule[] {
  return [
    {
      id: 'raw-archive',
      prefix: RAW_PREFIX,
      transitions: [
        {
          storageClass: StorageClass.INFREQUENT_ACCESS,
          transitionAfter: Duration.days(props.rawInfrequentAccessDays ?? 90),
        },
      ],
      ...(props.rawRetentionDays !== undefined ? { expiration: Duration.days(props.rawRetentionDays) } : {}),
    },
    {
      // Redeliveries and replays overwrite keys: keep the replaced versions for a while, not forever.
      id: 'old-versions',
      noncurrentVersionExpiration: Duration.days(props.noncurrentVersionRetentionDays ?? 30),
      expiredObjectDeleteMarker: true,
      abortIncompleteMultipartUploadAfter: Duration.days(7),
    },
  ];
}

function projectionParameters(definition: LakeTableDefinition, startDate: string): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const key of definition.partitionKeys) {
    const prefix = `projection.${key.name}`;
    parameters[`${prefix}.type`] = key.projection.type;
    if (key.projection.type === 'date') {
      parameters[`${prefix}.format`] = 'yyyy-MM-dd';
      // Tomorrow too: an event stamped just after midnight UTC by a sender whose clock runs ahead.
      parameters[`${prefix}.range`] = `${startDate},NOW+1DAYS`;
      parameters[`${prefix}.interval`] = '1';
      parameters[`${prefix}.interval.unit`] = 'DAYS';
    } else {
      parameters[`${prefix}.values`] = key.projection.values.join(',');
    }
  }
  return parameters;
}

function storageFormat(
  format: TableFormat,
): Pick<CfnTable.StorageDescriptorProperty, 'inputFormat' | 'outputFormat' | 'serdeInfo'> {
  switch (format) {
    case 'json-lines':
      return {
        inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
        outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        serdeInfo: {
          serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
          parameters: { 'serialization.format': '1' },
        },
      };
    case 'parquet':
      return {
        inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
        outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
        serdeInfo: {
          serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
          parameters: { 'serialization.format': '1' },
        },
      };
  }
}
