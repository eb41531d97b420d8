import type { z } from 'zod';
import { COHORT_KINDS, type CohortKind } from '../../queries/registry.js';
import { HttpProblem } from '../http/problem.js';
import type { Segment } from '../kpis/kpi-point.js';
import type { KpiStore } from '../ports/kpi-store.js';
import type { cohortResponseSchema } from './cohort-schemas.js';

type CohortResponse = z.infer<typeof cohortResponseSchema>;

/** The cohort table of a kind for a segment, cohorts from..to: a single read of the KPI store. */
export async function cohortTable(
  store: KpiStore,
  kind: string,
  query: { from?: string | undefined; to?: string | undefined; segment?: Segment | undefined },
): Promise<CohortResponse> {
  if (!(COHORT_KINDS as readonly string[]).includes(kind)) {
    throw new HttpProblem(
      404,
      'unknown-cohort-kind',
      `there are no "${kind}" cohorts; try ${COHORT_KINDS.join(', ')}`,
    );
  }
  const segment = query.segment ?? null;
  const table = await store.cohorts(kind as CohortKind, segment);
  const from = query.from ?? '0000-01';
  const to = query.to ?? '9999-12';
  return {
    kind: kind as CohortKind,
    segment,
    computed_at: table?.computed_at ?? null,
    cohorts: (table?.cohorts ?? [])
      .filter((row) => row.cohort >= from && row.cohort <= to)
      .map((row) => ({
        cohort: row.cohort,
        size: row.size,
        ...(row.starting_mrr === undefined ? {} : { starting_mrr: row.starting_mrr }),
        retention: [...row.retention],
      })),
  };
}
