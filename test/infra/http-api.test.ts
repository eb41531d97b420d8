import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { PublicHttpApi } from '../../lib/http-api.js';
import { testStack } from './support/cdk-app.js';

describe('PublicHttpApi', () => {
  const stack = testStack();
  new PublicHttpApi(stack, 'Http', {
    throttleRateLimit: 20,
    throttleBurstLimit: 40,
    accessLogRetentionDays: 14,
  });
  const template = Template.fromStack(stack);

  it('is an HTTP API with one auto-deployed $default stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: '$default', AutoDeploy: true });
  });

  it('throttles every route of the stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
    });
  });

  it('writes JSON access logs with the request id, status and errors, never a body or header', () => {
    const [logGroupId] = Object.keys(template.findResources('AWS::Logs::LogGroup'));
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0]!;
    const settings = stage.Properties.AccessLogSettings;
    expect(JSON.stringify(settings.DestinationArn)).toContain(logGroupId);
    const format = JSON.parse(settings.Format) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      routeKey: '$context.routeKey',
      integrationError: '$context.integrationErrorMessage',
    });
    expect(Object.values(format).filter((variable) => /body|header|authorizer/i.test(variable))).toEqual([]);
  });

  it('keeps the access logs for the configured days and retains them', () => {
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 14 },
      DeletionPolicy: 'Retain',
    });
  });

  it('adds no route of its own: each feature adds its routes', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 0);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
  });
});
