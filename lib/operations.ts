import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC_NAMES, METRICS_NAMESPACE } from '../lambdas/runtime/metric-names.js';
import type { AnalyticsWorkgroup } from './analytics-workgroup.js';
import type { DataLake } from './data-lake.js';
import type { PublicHttpApi } from './http-api.js';
import type { KpiStore } from './kpi-store.js';
import type { WebhookIngest } from './webhook-ingest.js';
import type { WebhookSecrets } from './webhook-secrets.js';

export interface WebhookSourceInfo {
  readonly name: string;
  readonly title: string;
}

export interface OperationsProps {
  readonly api: PublicHttpApi;
  readonly ingest: WebhookIngest;
  readonly lake: DataLake;
  readonly secrets: WebhookSecrets;
  readonly kpiStore: KpiStore;
  readonly workgroup: AnalyticsWorkgroup;
  /** The registered webhook sources (lambdas/sources/registry.ts): one URL output each. */
  readonly sources: readonly WebhookSourceInfo[];
  /** Subscribed to the alarm topic (the address must confirm). @default - no subscription */
  readonly alarmEmail?: string;
  /** @default 'cs-pulse' */
  readonly dashboardName?: string;
  /** What happens to the topic's key when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * Running cs-pulse: an encrypted SNS topic for alarms (optionally e-mailed), alarms on the ingest path (Lambda
 * errors and throttles, API 5xx), a CloudWatch dashboard, and the stack outputs an operator needs (every webhook URL,
 * the API URL, the Athena workgroup, the Glue database…). Later functions join with `monitorFunction`.
 */
export class Operations extends Construct {
  readonly topic: Topic;
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    // Only this account's alarms in this region may use the key and the topic (no confused deputy).
    const fromOurAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };
    // CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key: the topic needs its own key.
    const topicKey = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the cs-pulse alarm topic',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    topicKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsEncryptForTheTopic',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromOurAlarms,
      }),
    );
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: 'cs-pulse alarms',
      masterKey: topicKey,
      enforceSSL: true,
    });
    // enforceSSL gives the topic a policy of its own, which replaces SNS's default one (that let the account's
    // principals publish): without this statement CloudWatch would be refused every alarm notification.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromOurAlarms,
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? 'cs-pulse',
      defaultInterval: Duration.days(1),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: '# cs-pulse\nWebhook API and the Lambdas behind it. Alarms go to the cs-pulse alarm topic.',
        width: 24,
        height: 2,
      }),
    );

    const api = props.api.api;
    this.addAlarm('Api5xx', api.metricServerError({ period: FIVE_MINUTES, statistic: Stats.SUM }), {
      description: 'The HTTP API answered 5xx: vendors will retry, but deliveries are failing.',
    });
    this.dashboard.addWidgets(
      graph('API requests', [api.metricCount({ period: FIVE_MINUTES, statistic: Stats.SUM })]),
      graph('API errors', [
        api.metricClientError({ period: FIVE_MINUTES, statistic: Stats.SUM }),
        api.metricServerError({ period: FIVE_MINUTES, statistic: Stats.SUM }),
      ]),
      graph('API latency (p50, p99)', [
        api.metricLatency({ period: FIVE_MINUTES, statistic: Stats.p(50) }),
        api.metricLatency({ period: FIVE_MINUTES, statistic: Stats.p(99) }),
      ]),
    );
    this.monitorFunction('Ingest', props.ingest.function);
    this.monitorApplicationMetrics();

    const output = (outputId: string, value: string, description: string) =>
      new CfnOutput(Stack.of(this), outputId, { value, description });
    output('ApiUrl', props.api.url, 'Base URL of the cs-pulse HTTP API');
    for (const source of props.sources) {
      output(
        `WebhookUrl${pascalCase(source.name)}`,
        props.ingest.webhookUrl(source.name),
        `Webhook URL to give ${source.title}`,
      );
    }
    output('WebhookSecretArn', props.secrets.secretArn, 'Secret holding every source signing secret (JSON)');
    output('LakeBucketName', props.lake.bucket.bucketName, 'The lake bucket (raw/ and tables/)');
    output('GlueDatabaseName', props.lake.databaseName, 'Glue database of the lake tables');
    output('AthenaWorkgroupName', props.workgroup.workGroupName, 'Athena workgroup for cs-pulse queries');
    output('KpiTableName', props.kpiStore.tableName, 'DynamoDB table of computed KPIs');
    output('AlarmTopicArn', this.topic.topicArn, 'SNS topic the alarms publish to');
  }

  /** Alarms on a function's errors and throttles, and adds its graphs to the dashboard. */
  monitorFunction(label: string, fn: IFunction): void {
    this.addAlarm(`${label}Errors`, fn.metricErrors({ period: FIVE_MINUTES, statistic: Stats.SUM }), {
      description: `The ${label} Lambda failed (an error it did not turn into an HTTP answer, or a timeout).`,
    });
    this.addAlarm(`${label}Throttles`, fn.metricThrottles({ period: FIVE_MINUTES, statistic: Stats.SUM }), {
      description: `The ${label} Lambda was throttled: the account's concurrency is exhausted.`,
    });
    this.dashboard.addWidgets(
      graph(`${label} Lambda invocations and errors`, [
        fn.metricInvocations({ period: FIVE_MINUTES, statistic: Stats.SUM }),
        fn.metricErrors({ period: FIVE_MINUTES, statistic: Stats.SUM }),
        fn.metricThrottles({ period: FIVE_MINUTES, statistic: Stats.SUM }),
      ]),
      graph(`${label} Lambda duration (p50, p99)`, [
        fn.metricDuration({ period: FIVE_MINUTES, statistic: Stats.p(50) }),
        fn.metricDuration({ period: FIVE_MINUTES, statistic: Stats.p(99) }),
      ]),
    );
  }

  /** The metric the handlers publish under this name (Powertools, embedded metric format), summed over 5 minutes. */
  applicationMetric(metricName: string, statistic: string = Stats.SUM): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service: Stack.of(this).stackName },
      period: FIVE_MINUTES,
      statistic,
    });
  }

  /**
   * What the handlers report about the work itself: webhook events taken, ignored and refused, KPI points written
   * and how long aggregation took, days compacted. Alarms when deliveries keep failing their signature check, and on
   * any webhook ingest answered 5xx (the Lambda's Errors metric does not see those: the 5xx is its answer).
   */
  private monitorApplicationMetrics(): void {
    this.addAlarm(
      'WebhookSignaturesRejected',
      this.applicationMetric(METRIC_NAMES.webhookSignaturesRejected),
      {
        threshold: 10,
        description:
          'At least 10 webhook deliveries in 5 minutes carried no valid signature: a signing secret changed on one ' +
          'side only (the ingest logs name the source), or someone is probing the endpoint. Vendors retry, but ' +
          'not forever.',
      },
    );
    this.addAlarm('IngestServerErrors', this.applicationMetric(METRIC_NAMES.webhookServerErrors), {
      description:
        'Ingest answered a webhook with a 5xx: nothing of it was stored and the vendor will retry. A source without ' +
        'its signing secret (503 source-not-configured) or a lake the Lambda cannot write; the ingest logs say which.',
    });
    this.addAlarm('WebhooksBeforeLakeStart', this.applicationMetric(METRIC_NAMES.webhooksBeforeLakeStart), {
      description:
        'A webhook carried events dated before lakeStartDate: they are stored, but Athena does not read that far ' +
        'back, so the KPIs leave them out. Deploy again with an earlier -c lakeStartDate (nothing needs re-sending).',
    });
    this.dashboard.addWidgets(
      graph('Webhook events', [
        this.applicationMetric(METRIC_NAMES.webhookEventsAccepted),
        this.applicationMetric(METRIC_NAMES.webhookEventsIgnored),
        this.applicationMetric(METRIC_NAMES.webhooksRejected),
        this.applicationMetric(METRIC_NAMES.webhookSignaturesRejected),
        this.applicationMetric(METRIC_NAMES.webhookServerErrors),
        this.applicationMetric(METRIC_NAMES.webhooksBeforeLakeStart),
      ]),
      graph('KPI aggregation', [
        this.applicationMetric(METRIC_NAMES.kpiPointsWritten),
        this.applicationMetric(METRIC_NAMES.aggregationDuration, Stats.MAXIMUM),
      ]),
      graph('Lake compaction', [
        this.applicationMetric(METRIC_NAMES.daysCompacted),
        this.applicationMetric(METRIC_NAMES.compactedFilesDeleted),
      ]),
    );
  }

  /**
   * Alarms as soon as a dead-letter queue holds a message: a scheduled job failed every retry (or could not even be
   * invoked), and the message says which one and why.
   */
  monitorDeadLetters(label: string, queue: IQueue): void {
    const depth = queue.metricApproximateNumberOfMessagesVisible({
      period: FIVE_MINUTES,
      statistic: Stats.MAXIMUM,
    });
    this.addAlarm(`${label}DeadLetters`, depth, {
      description: `The ${label} job failed after its retries: see the message in its dead-letter queue.`,
    });
    this.dashboard.addWidgets(graph(`${label} dead letters`, [depth]));
  }

  /** An alarm that fires when the metric reaches the threshold (1), and tells the topic when it fires and clears. */
  addAlarm(alarmId: string, metric: IMetric, options: { description: string; threshold?: number }): Alarm {
    const alarm = new Alarm(this, alarmId, {
      metric,
      alarmDescription: options.description,
      threshold: options.threshold ?? 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    alarm.addOkAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
    return alarm;
  }
}

function graph(title: string, metrics: IMetric[]): GraphWidget {
  return new GraphWidget({ title, left: metrics, width: 8, height: 6 });
}

function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}
