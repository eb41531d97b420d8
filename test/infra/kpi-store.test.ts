import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { KpiStore } from '../../lib/kpi-store.js';
import { policyStatements, testStack } from './support/cdk-app.js';

function kpiStoreTemplate(removalPolicy?: RemovalPolicy) {
  const stack = testStack();
  const store = new KpiStore(stack, 'Kpis', removalPolicy ? { removalPolicy } : {});
  return { stack, store, template: Template.fromStack(stack) };
}

describe('KpiStore', () => {
  const { template } = kpiStoreTemplate();

  it('keys items by pk and sk strings, as the KPI store adapter expects', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
    });
  });

  it('bills on demand, encrypts, and keeps point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      Replicas: [
        {
          Region: { Ref: 'AWS::Region' },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        },
      ],
    });
  });

  it('is retained and protected from deletion by default', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('can be destroyed, without deletion protection, for a throw-away stage', () => {
    const destroyable = kpiStoreTemplate(RemovalPolicy.DESTROY).template;
    destroyable.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
    destroyable.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })],
    });
  });

  it('grants reading without writing, and writing without deleting the table', () => {
    const stack = testStack();
    const store = new KpiStore(stack, 'Kpis');
    const reader = new Role(stack, 'Reader', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    const writer = new Role(stack, 'Writer', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    store.grantReadData(reader);
    store.grantWriteData(writer);
    const template = Template.fromStack(stack);
    const actionsOf = (role: Role) =>
      policyStatements(template, role).flatMap((statement) => statement.Action);

    expect(actionsOf(reader)).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:GetItem']));
    expect(actionsOf(reader).filter((action) => /Put|Write|Update|Delete/.test(action))).toEqual([]);
    expect(actionsOf(writer)).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:BatchWriteItem']),
    );
    expect(actionsOf(writer)).not.toContain('dynamodb:DeleteTable');
  });
});
