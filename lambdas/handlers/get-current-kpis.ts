import { currentKpis, type ReadApiDependencies } from '../api/read-api.js';
import { readApiHandler } from '../api/read-api-handler.js';
import { currentQuerySchema } from '../api/read-api-schemas.js';
import { lazily } from '../runtime/lazily.js';
import { lambdaObservability, type Observability } from '../runtime/observability.js';
import { readApiDependenciesFromEnvironment } from '../runtime/read-api-environment.js';

/** `GET /v1/kpis?grain=`: the latest complete and the current period of every metric. */
export function createGetCurrentKpisHandler(
  dependencies: () => Promise<ReadApiDependencies>,
  observability: Observability = lambdaObservability(),
) {
  return readApiHandler(
    currentQuerySchema,
    (store, { grain }) => currentKpis(store, grain),
    dependencies,
    observability,
  );
}

export const handler = createGetCurrentKpisHandler(lazily(readApiDependenciesFromEnvironment));
