import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { WebhookSecrets } from '../../lib/webhook-secrets.js';
import { policyStatements, testStack } from './support/cdk-app.js';

describe('WebhookSecrets', () => {
  const stack = testStack();
  const secrets = new WebhookSecrets(stack, 'Secrets');
  const reader = new Role(stack, 'Reader', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  secrets.grantRead(reader);
  const template = Template.fromStack(stack);

  it('puts no secret value in the template: Secrets Manager generates a JSON placeholder', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      SecretString: Match.absent(),
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{}', GenerateStringKey: 'unused' }),
    });
  });

  it('is retained by default, and destroyed only when told to', () => {
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
    const other = testStack();
    new WebhookSecrets(other, 'Secrets', { removalPolicy: RemovalPolicy.DESTROY });
    Template.fromStack(other).hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
  });

  it('grants reading the secret value, and nothing that changes it', () => {
    const actions = policyStatements(template, reader).flatMap((statement) => statement.Action);

    expect(actions).toEqual(expect.arrayContaining(['secretsmanager:GetSecretValue']));
    expect(actions.filter((action) => /Put|Update|Delete|Rotate/.test(action))).toEqual([]);
  });
});
