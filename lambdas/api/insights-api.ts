import type { z } from 'zod';
import { HttpProblem } from '../http/problem.js';
import { ALL_ACCOUNTS_KEY, CHURN_DRIVERS_ANALYSIS, SURVIVAL_ANALYSIS } from '../kpis/insight-documents.js';
import type { KpiStore } from '../ports/kpi-store.js';
import { churnDriversResponseSchema, survivalResponseSchema } from './insights-schemas.js';

type SurvivalResponse = z.infer<typeof survivalResponseSchema>;
type ChurnDriversResponse = z.infer<typeof churnDriversResponseSchema>;

/** The survival curves of all accounts, or of each value of a segment key with their log-rank test: one read. */
export async function survivalCurves(
  store: KpiStore,
  segmentKey: string | undefined,
): Promise<SurvivalResponse> {
  const document = await store.analysis(SURVIVAL_ANALYSIS, segmentKey ?? ALL_ACCOUNTS_KEY);
  if (document === undefined) {
    throw new HttpProblem(
      404,
      segmentKey ? 'unknown-segment' : 'not-computed',
      segmentKey
        ? `no account has a value for the segment key "${segmentKey}" (or the KPIs were not aggregated since it arrived)`
        : 'survival has not been computed yet: send subscription events, then aggregate',
    );
  }
  // The document was written by this code base's aggregation; parsing it here keeps the promise the schema makes.
  return survivalResponseSchema.parse(document);
}

/** What survey answers say about churn, CES against NPS, and the ARR at risk: one read. */
export async function churnDrivers(store: KpiStore): Promise<ChurnDriversResponse> {
  const document = await store.analysis(CHURN_DRIVERS_ANALYSIS, ALL_ACCOUNTS_KEY);
  if (document === undefined) {
    throw new HttpProblem(
      404,
      'not-computed',
      'the churn drivers have not been computed yet: aggregate first',
    );
  }
  return churnDriversResponseSchema.parse(document);
}
