// The names both sides share: the handlers publish these metrics, lib/operations.ts graphs and alarms on them.

/** The namespace of cs-pulse's own metrics; lib/operations.ts alarms on them. */
export const METRICS_NAMESPACE = 'CsPulse';

/** The metrics the handlers publish, each with the `service` dimension (the stack's name on AWS). */
export const METRIC_NAMES = {
  webhookEventsAccepted: 'WebhookEventsAccepted',
  webhookEventsIgnored: 'WebhookEventsIgnored',
  /** A 4xx: the sender's mistake (bad signature, body, method…), answered with a problem body. */
  webhooksRejected: 'WebhooksRejected',
  /** A 401: a sender whose signing secret differs from ours (a rotation not made on both sides), or a forger. */
  webhookSignaturesRejected: 'WebhookSignaturesRejected',
  /** A 5xx from ingest (a source without its secret, the lake unwritable, a bug): nothing was accepted, the vendor retries. */
  webhookServerErrors: 'WebhookServerErrors',
  /** An accepted delivery with events dated before lakeStartDate: stored, but outside what Athena reads. */
  webhooksBeforeLakeStart: 'WebhooksBeforeLakeStart',
  kpiPointsWritten: 'KpiPointsWritten',
  aggregationDuration: 'AggregationDuration',
  daysCompacted: 'DaysCompacted',
  compactedFilesDeleted: 'CompactedFilesDeleted',
} as const;
