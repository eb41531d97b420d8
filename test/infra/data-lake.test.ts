import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { DataLake, type DataLakeProps } from '../../lib/data-lake.js';
import { lakeTables, NORMALIZED_TABLES } from '../../lib/tables/lake-tables.js';
import { policyStatements, testStack } from './support/cdk-app.js';

function lakeTemplate(props: Partial<DataLakeProps> = {}) {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake', { tables: lakeTables(['generic', 'stripe']), ...props });
  return { stack, lake, template: Template.fromStack(stack) };
}

/** The lake bucket: the versioned one (the access log bucket is not). */
function lakeBucket(template: Template) {
  const [entry] = Object.entries(
    template.findResources('AWS::S3::Bucket', {
      Properties: { VersioningConfiguration: { Status: 'Enabled' } },
    }),
  );
  return { id: entry![0], properties: entry![1].Properties };
}

describe('DataLake buckets', () => {
  const { template } = lakeTemplate();

  it('blocks public access, encrypts and owns every object in both buckets', () => {
    template.resourceCountIs('AWS::S3::Bucket', 2);
    template.allResourcesProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
  });

  it('refuses requests without TLS on both buckets', () => {
    const policies = template.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('versions the lake bucket and logs its accesses into the other bucket', () => {
    const lake = lakeBucket(template);
    const [logBucketId] = Object.keys(
      template.findResources('AWS::S3::Bucket', { Properties: { VersioningConfiguration: Match.absent() } }),
    );
    expect(lake.properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logBucketId },
      LogFilePrefix: 'lake/',
    });
  });

  it('moves raw/ bodies to Standard-IA, keeps them by default, and expires replaced versions', () => {
    const rules = lakeBucket(template).properties.LifecycleConfiguration.Rules;
    expect(rules).toContainEqual(
      expect.objectContaining({
        Prefix: 'raw/',
        Status: 'Enabled',
        Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 90 }],
      }),
    );
    expect(
      rules.find((rule: { Prefix?: string }) => rule.Prefix === 'raw/').ExpirationInDays,
    ).toBeUndefined();
    expect(rules).toContainEqual(
      expect.objectContaining({
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      }),
    );
  });

  it('expires raw/ bodies and access logs after the configured days', () => {
    const configured = lakeTemplate({
      rawRetentionDays: 400,
      rawInfrequentAccessDays: 45,
      accessLogRetentionDays: 30,
    }).template;
    expect(lakeBucket(configured).properties.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({
        Prefix: 'raw/',
        ExpirationInDays: 400,
        Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 45 }],
      }),
    );
    configured.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30 })] },
      VersioningConfiguration: Match.absent(),
    });
  });

  it('retains both buckets by default and deletes them only when told to', () => {
    template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    lakeTemplate({ removalPolicy: RemovalPolicy.DESTROY }).template.allResources('AWS::S3::Bucket', {
      DeletionPolicy: 'Delete',
    });
  });
});

describe('DataLake Glue catalog', () => {
  const { template } = lakeTemplate({ databaseName: 'cs_pulse_test', projectionStartDate: '2020-06-01' });

  it('declares the database and one table per lake table', () => {
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'cs_pulse_test' } });
    const names = Object.values(template.findResources('AWS::Glue::Table')).map(
      (table) => table.Properties.TableInput.Name,
    );
    const normalized = ['account_attributes', 'accounts', 'subscriptions', 'survey_responses'];
    expect(names.sort()).toEqual(
      ['raw_deliveries', ...normalized, ...normalized.map((name) => `${name}_compacted`)].sort(),
    );
    template.allResourcesProperties('AWS::Glue::Table', { DatabaseName: 'cs_pulse_test' });
  });

  it.each(NORMALIZED_TABLES.map((table) => [table.name, table] as const))(
    'reads %s as JSON lines under tables/, partitioned by a projected dt',
    (name, definition) => {
      template.hasResourceProperties('AWS::Glue::Table', {
        TableInput: {
          Name: name,
          TableType: 'EXTERNAL_TABLE',
          Parameters: {
            classification: 'json',
            'projection.enabled': 'true',
            'projection.dt.type': 'date',
            'projection.dt.format': 'yyyy-MM-dd',
            'projection.dt.range': '2020-06-01,NOW+1DAYS',
            'projection.dt.interval': '1',
            'projection.dt.interval.unit': 'DAYS',
            'storage.location.template': {
              'Fn::Join': ['', ['s3://', { Ref: Match.anyValue() }, `/tables/${name}/dt=\${dt}/`]],
            },
          },
          PartitionKeys: [{ Name: 'dt', Type: 'string', Comment: Match.anyValue() }],
          StorageDescriptor: {
            Location: { 'Fn::Join': ['', ['s3://', { Ref: Match.anyValue() }, `/tables/${name}/`]] },
            InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
            SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
            Columns: definition.columns.map((column) => ({
              Name: column.name,
              Type: column.type,
              Comment: column.comment,
            })),
          },
        },
      });
    },
  );

  it('partitions the raw archive by an enum of the registered sources, then by projected dt', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: {
        Name: 'raw_deliveries',
        Parameters: Match.objectLike({
          'projection.source.type': 'enum',
          'projection.source.values': 'generic,stripe',
          'projection.dt.type': 'date',
          'storage.location.template': {
            // Athena's placeholders, literally: `${source}` and `${dt}` are filled per partition by Athena.
            'Fn::Join': ['', ['s3://', { Ref: Match.anyValue() }, `/raw/source=\${source}/dt=\${dt}/`]],
          },
        }),
        PartitionKeys: [Match.objectLike({ Name: 'source' }), Match.objectLike({ Name: 'dt' })],
        StorageDescriptor: Match.objectLike({
          Columns: Match.not(Match.arrayWith([Match.objectLike({ Name: 'source' })])),
        }),
      },
    });
  });

  it('points every table at the lake bucket', () => {
    const bucketId = lakeBucket(template).id;
    for (const table of Object.values(template.findResources('AWS::Glue::Table'))) {
      expect(JSON.stringify(table.Properties.TableInput.StorageDescriptor.Location)).toContain(bucketId);
    }
  });

  it('declares a compacted Parquet table with the Parquet SerDe when one is added', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake', { tables: [] });
    lake.addTable({
      name: 'survey_responses_compacted',
      description: 'compacted',
      prefix: 'compacted/survey_responses/',
      format: 'parquet',
      columns: [{ name: 'score', type: 'double', comment: 'score' }],
      partitionKeys: [{ name: 'dt', type: 'string', comment: 'date', projection: { type: 'date' } }],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'survey_responses_compacted',
        Parameters: Match.objectLike({ classification: 'parquet' }),
        StorageDescriptor: Match.objectLike({
          InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          SerdeInfo: Match.objectLike({
            SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
          }),
        }),
      }),
    });
  });
});

describe('DataLake grants', () => {
  function granted(grant: (lake: DataLake, role: Role) => void) {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake', { tables: lakeTables(['generic']) });
    const role = new Role(stack, 'Reader', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    grant(lake, role);
    return policyStatements(Template.fromStack(stack));
  }

  it('lets ingest put objects under raw/ and tables/ and do nothing else', () => {
    const statements = granted((lake, role) => lake.grantIngestWrite(role));

    expect(statements).toHaveLength(1);
    expect(statements[0]!.Action).toEqual(['s3:PutObject']);
    const resources = JSON.stringify(statements[0]!.Resource);
    expect(resources).toContain('/raw/*');
    expect(resources).toContain('/tables/*');
    expect(resources).not.toMatch(/"\/\*"/); // never the whole bucket
  });
});
