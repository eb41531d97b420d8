import { cohortQuerySchema } from '../api/cohort-schemas.js';
import { cohortTable } from '../api/cohorts-api.js';
import type { ReadApiDependencies } from '../api/read-api.js';
import { readApiHandler } from '../api/read-api-handler.js';
import { lazily } from '../runtime/lazily.js';
import { lambdaObservability, type Observability } from '../runtime/observability.js';
import { readApiDependenciesFromEnvironment } from '../runtime/read-api-environment.js';

/** `GET /v1/cohorts/{logo|revenue}?from=&to=&segment=key:value`: retention by start-month cohort. */
export function createGetCohortsHandler(
  dependencies: () => Promise<ReadApiDependencies>,
  observability: Observability = lambdaObservability(),
) {
  return readApiHandler(
    cohortQuerySchema,
    (store, query, event) => cohortTable(store, event.pathParameters?.kind ?? '', query),
    dependencies,
    observability,
  );
}

export const handler = createGetCohortsHandler(lazily(readApiDependenciesFromEnvironment));
