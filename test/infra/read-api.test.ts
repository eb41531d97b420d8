import { type CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { PublicHttpApi } from '../../lib/http-api.js';
import { KpiStore } from '../../lib/kpi-store.js';
import { READ_ROUTES, ReadApi } from '../../lib/read-api.js';
import { policyStatements, sharedCsPulse, testStack } from './support/cdk-app.js';

const ref = (construct: { node: { defaultChild?: unknown } }) =>
  Stack.of(construct as never).getLogicalId(construct.node.defaultChild as CfnResource);

describe('ReadApi behind the IAM authorizer (the default)', () => {
  const { stack, template } = sharedCsPulse();
  const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
  const readRoutes = routes.filter((route) => route.Properties.RouteKey.startsWith('GET /v1/'));

  it('adds GET routes for the current KPIs, a series, cohorts, survival, churn drivers and the OpenAPI document', () => {
    expect(readRoutes.map((route) => route.Properties.RouteKey).sort()).toEqual(
      [
        'GET /v1/cohorts/{kind}',
        'GET /v1/insights/churn-drivers',
        'GET /v1/kpis',
        'GET /v1/kpis/{metric}',
        'GET /v1/openapi.json',
        'GET /v1/survival',
      ].sort(),
    );
  });

  it('requires SigV4 on every read route, and leaves only the vendor webhooks unauthenticated', () => {
    for (const route of readRoutes) expect(route.Properties.AuthorizationType).toBe('AWS_IAM');
    expect(
      routes
        .filter((route) => route.Properties.AuthorizationType === 'NONE')
        .map((route) => route.Properties.RouteKey),
    ).toEqual(['ANY /webhooks/{source}']);
  });

  it('serves each route with its own handler, payload format 2.0', () => {
    for (const route of READ_ROUTES) {
      const fn = stack.readApi.functions.get(route.id)!;
      template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.handler',
        Description: route.description,
      });
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [ref(fn), 'Arn'] },
      });
    }
  });

  it('lets the KPI routes only read the KPI table, and the OpenAPI route read nothing', () => {
    const tableId = ref(stack.kpiStore.table);
    for (const route of READ_ROUTES) {
      const fn = stack.readApi.functions.get(route.id)!;
      const statements = policyStatements(template, fn.role!).filter(
        (statement) => !statement.Action.every((action) => action.startsWith('logs:')),
      );
      const environment = template.toJSON().Resources[ref(fn)].Properties.Environment.Variables;
      if (!route.readsKpis) {
        expect(statements).toEqual([]);
        expect(environment.CS_PULSE_KPI_TABLE).toBeUndefined();
        continue;
      }
      expect(environment.CS_PULSE_KPI_TABLE).toEqual({ Ref: tableId });
      const actions = statements.flatMap((statement) => statement.Action);
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
      expect(actions.filter((action) => /Put|Write|Delete|Update/.test(action))).toEqual([]);
      for (const statement of statements) expect(JSON.stringify(statement.Resource)).toContain(tableId);
    }
  });
});

describe('ReadApi behind a JWT authorizer', () => {
  const stack = testStack();
  const api = new PublicHttpApi(stack, 'HttpApi');
  new ReadApi(stack, 'ReadApi', {
    api,
    kpiStore: new KpiStore(stack, 'KpiStore'),
    auth: { kind: 'jwt', issuer: 'https://auth.example.com/', audience: ['cs-pulse', 'dashboards'] },
  });
  const template = Template.fromStack(stack);

  it('checks tokens from the issuer for the audiences on every read route', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: 'https://auth.example.com/', Audience: ['cs-pulse', 'dashboards'] },
    });
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes).toHaveLength(READ_ROUTES.length);
    for (const route of routes) expect(route.Properties).toMatchObject({ AuthorizationType: 'JWT' });
  });
});
