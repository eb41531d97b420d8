import { kpiSeries, type ReadApiDependencies } from '../api/read-api.js';
import { readApiHandler } from '../api/read-api-handler.js';
import { seriesQuerySchema } from '../api/read-api-schemas.js';
import { lazily } from '../runtime/lazily.js';
import { lambdaObservability, type Observability } from '../runtime/observability.js';
import { readApiDependenciesFromEnvironment } from '../runtime/read-api-environment.js';

/** `GET /v1/kpis/{metric}?grain=&from=&to=&segment=key:value`: one metric's series. */
export function createGetKpiSeriesHandler(
  dependencies: () => Promise<ReadApiDependencies>,
  observability: Observability = lambdaObservability(),
) {
  return readApiHandler(
    seriesQuerySchema,
    (store, query, event) => kpiSeries(store, event.pathParameters?.metric ?? '', query),
    dependencies,
    observability,
  );
}

export const handler = createGetKpiSeriesHandler(lazily(readApiDependenciesFromEnvironment));
