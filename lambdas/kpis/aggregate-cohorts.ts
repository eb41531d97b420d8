import {
  COHORT_KINDS,
  COHORT_QUERY_IDS,
  findQuery,
  positionalValues,
  renderSql,
} from '../../queries/registry.js';
import type { KpiStore } from '../ports/kpi-store.js';
import type { SqlEngine } from '../ports/sql-engine.js';
import { cohortTablesOf } from './cohort-table.js';

export interface CohortRun {
  readonly kind: (typeof COHORT_KINDS)[number];
  readonly written: number;
  readonly deleted: number;
  readonly milliseconds: number;
}

/**
 * Computes the logo and revenue cohort tables into the KPI store, one item per kind and segment, so
 * GET /v1/cohorts/{kind} is one read. Cohorts follow accounts over their whole history, so they are always
 * recomputed in full; the views must already exist.
 */
export async function aggregateCohorts(options: {
  readonly engine: SqlEngine;
  readonly store: KpiStore;
  readonly asOf: Date;
  readonly now: () => Date;
}): Promise<CohortRun[]> {
  const runs: CohortRun[] = [];
  const asOfText = options.asOf.toISOString().replace('T', ' ').replace('Z', '');
  for (const kind of COHORT_KINDS) {
    const began = performance.now();
    const query = findQuery(COHORT_QUERY_IDS[kind]);
    if (!query) throw new Error(`the ${kind} cohort query ${COHORT_QUERY_IDS[kind]} is not registered`);
    const rows = await options.engine.query(
      renderSql(query, options.engine.database),
      positionalValues(query, { as_of: asOfText }),
    );
    const tables = cohortTablesOf(kind, rows, options.now().toISOString());
    const { written, deleted } = await options.store.replaceCohorts(kind, tables);
    runs.push({ kind, written, deleted, milliseconds: performance.now() - began });
  }
  return runs;
}
