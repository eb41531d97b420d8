import { churnDrivers } from '../api/insights-api.js';
import { churnDriversQuerySchema } from '../api/insights-schemas.js';
import type { ReadApiDependencies } from '../api/read-api.js';
import { readApiHandler } from '../api/read-api-handler.js';
import { lazily } from '../runtime/lazily.js';
import { lambdaObservability, type Observability } from '../runtime/observability.js';
import { readApiDependenciesFromEnvironment } from '../runtime/read-api-environment.js';

/** `GET /v1/insights/churn-drivers`: churn after survey answers, CES against NPS as predictors, and ARR at risk. */
export function createGetChurnDriversHandler(
  dependencies: () => Promise<ReadApiDependencies>,
  observability: Observability = lambdaObservability(),
) {
  return readApiHandler(churnDriversQuerySchema, (store) => churnDrivers(store), dependencies, observability);
}

export const handler = createGetChurnDriversHandler(lazily(readApiDependenciesFromEnvironment));
