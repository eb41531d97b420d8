import { survivalCurves } from '../api/insights-api.js';
import { survivalQuerySchema } from '../api/insights-schemas.js';
import type { ReadApiDependencies } from '../api/read-api.js';
import { readApiHandler } from '../api/read-api-handler.js';
import { lazily } from '../runtime/lazily.js';
import { lambdaObservability, type Observability } from '../runtime/observability.js';
import { readApiDependenciesFromEnvironment } from '../runtime/read-api-environment.js';

/** `GET /v1/survival?segment=<key>`: Kaplan–Meier curves of accounts, per value of a segment key with a log-rank test. */
export function createGetSurvivalHandler(
  dependencies: () => Promise<ReadApiDependencies>,
  observability: Observability = lambdaObservability(),
) {
  return readApiHandler(
    survivalQuerySchema,
    (store, { segment }) => survivalCurves(store, segment),
    dependencies,
    observability,
  );
}

export const handler = createGetSurvivalHandler(lazily(readApiDependenciesFromEnvironment));
