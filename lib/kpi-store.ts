import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface KpiStoreProps {
  /** What happens to the table when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The KPI store: one DynamoDB table, single-table design with `pk`/`sk` strings (the item layout is documented in
 * lambdas/adapters/dynamodb-kpi-store.ts). On demand, point-in-time recovery, and protected from deletion while it
 * is retained.
 */
export class KpiStore extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: KpiStoreProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
  }

  get tableName(): string {
    return this.table.tableName;
  }

  /** For the read API. */
  grantReadData(grantee: IGrantable): void {
    this.table.grantReadData(grantee);
  }

  /** For the aggregation, which writes KPI points and reads its watermark. */
  grantWriteData(grantee: IGrantable): void {
    this.table.grantWriteData(grantee);
  }
}
