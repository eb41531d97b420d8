import type { RemovalPolicy } from 'aws-cdk-lib';
import {
  HttpMethod,
  type HttpRoute,
  type IHttpRouteAuthorizer,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Construct } from 'constructs';
import type { PublicHttpApi } from './http-api.js';
import type { KpiStore } from './kpi-store.js';
import { CsPulseFunction } from './lambda-function.js';

/** How callers of the read API authenticate. */
export type ReadApiAuth =
  /** SigV4-signed requests from principals allowed `execute-api:Invoke` on the routes. */
  | { readonly kind: 'iam' }
  /** A bearer JWT from this issuer, for one of these audiences (API Gateway checks signature and expiry). */
  | { readonly kind: 'jwt'; readonly issuer: string; readonly audience: readonly string[] };

/** One read route: its path, the handler file serving it, and whether it reads the KPI table. */
export interface ReadRoute {
  readonly id: string;
  readonly path: string;
  readonly entry: string;
  readonly description: string;
  readonly readsKpis: boolean;
}

/** The routes of lambdas/local/local-app.ts, one Lambda each, as the handlers are one per file. */
export const READ_ROUTES: readonly ReadRoute[] = [
  {
    id: 'CurrentKpis',
    path: '/v1/kpis',
    entry: 'lambdas/handlers/get-current-kpis.ts',
    description: 'cs-pulse read API: the current KPIs',
    readsKpis: true,
  },
  {
    id: 'KpiSeries',
    path: '/v1/kpis/{metric}',
    entry: 'lambdas/handlers/get-kpi-series.ts',
    description: "cs-pulse read API: one KPI's series",
    readsKpis: true,
  },
  {
    id: 'Cohorts',
    path: '/v1/cohorts/{kind}',
    entry: 'lambdas/handlers/get-cohorts.ts',
    description: 'cs-pulse read API: retention cohorts',
    readsKpis: true,
  },
  {
    id: 'Survival',
    path: '/v1/survival',
    entry: 'lambdas/handlers/get-survival.ts',
    description: 'cs-pulse read API: survival curves',
    readsKpis: true,
  },
  {
    id: 'ChurnDrivers',
    path: '/v1/insights/churn-drivers',
    entry: 'lambdas/handlers/get-churn-drivers.ts',
    description: 'cs-pulse read API: churn drivers',
    readsKpis: true,
  },
  {
    id: 'OpenApi',
    path: '/v1/openapi.json',
    entry: 'lambdas/handlers/get-openapi.ts',
    description: 'cs-pulse read API: its OpenAPI document',
    readsKpis: false,
  },
];

export interface ReadApiProps {
  readonly api: PublicHttpApi;
  readonly kpiStore: KpiStore;
  /** @default { kind: 'iam' } */
  readonly auth?: ReadApiAuth;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * `GET /v1/…` on the cs-pulse HTTP API: one small Lambda per route, each only allowed to read the KPI table (the
 * OpenAPI document reads nothing), every route behind the IAM authorizer, or a JWT authorizer when configured.
 */
export class ReadApi extends Construct {
  readonly functions: ReadonlyMap<string, CsPulseFunction>;
  readonly routes: readonly HttpRoute[];

  constructor(scope: Construct, id: string, props: ReadApiProps) {
    super(scope, id);
    const authorizer = readAuthorizer(props.auth ?? { kind: 'iam' });
    const functions = new Map<string, CsPulseFunction>();
    const routes: HttpRoute[] = [];
    for (const route of READ_ROUTES) {
      const fn = new CsPulseFunction(this, route.id, {
        entry: route.entry,
        description: route.description,
        environment: route.readsKpis ? { CS_PULSE_KPI_TABLE: props.kpiStore.tableName } : {},
        ...(props.logRetentionDays !== undefined ? { logRetentionDays: props.logRetentionDays } : {}),
        ...(props.logRemovalPolicy !== undefined ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
      });
      if (route.readsKpis) props.kpiStore.grantReadData(fn);
      functions.set(route.id, fn);
      routes.push(
        ...props.api.api.addRoutes({
          path: route.path,
          methods: [HttpMethod.GET],
          integration: new HttpLambdaIntegration(`${route.id}Integration`, fn, {
            payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
          }),
          authorizer,
        }),
      );
    }
    this.functions = functions;
    this.routes = routes;
  }
}

function readAuthorizer(auth: ReadApiAuth): IHttpRouteAuthorizer {
  if (auth.kind === 'iam') return new HttpIamAuthorizer();
  return new HttpJwtAuthorizer('ReadApiJwt', auth.issuer, { jwtAudience: [...auth.audience] });
}
