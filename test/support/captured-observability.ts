import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { vi } from 'vitest';
import type { Observability } from '../../lambdas/runtime/observability.js';

/**
 * A handler's real Powertools logger (silent) and metrics, with every flush kept in `published` as the
 * embedded-metric-format document it would print, instead of printing it.
 */
export function capturedObservability(): Observability & {
  readonly metrics: Metrics;
  readonly published: Record<string, unknown>[];
} {
  const metrics = new Metrics({ namespace: 'CsPulseTest', serviceName: 'cs-pulse-test' });
  const published: Record<string, unknown>[] = [];
  vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
    if (metrics.hasStoredMetrics()) published.push(JSON.parse(JSON.stringify(metrics.serializeMetrics())));
    metrics.clearMetrics();
    metrics.clearMetadata();
    return metrics;
  });
  return { logger: new Logger({ serviceName: 'cs-pulse-test', logLevel: 'SILENT' }), metrics, published };
}
