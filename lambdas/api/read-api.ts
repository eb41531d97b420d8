import type { z } from 'zod';
import { KPI_QUERIES } from '../../queries/registry.js';
import { HttpProblem } from '../http/problem.js';
import type { Grain, Segment } from '../kpis/kpi-point.js';
import type { KpiStore } from '../ports/kpi-store.js';
import type { currentResponseSchema, kpiPointSchema, seriesResponseSchema } from './read-api-schemas.js';

type SeriesResponse = z.infer<typeof seriesResponseSchema>;
type CurrentResponse = z.infer<typeof currentResponseSchema>;
type PointBody = z.infer<typeof kpiPointSchema>;

export interface ReadApiDependencies {
  readonly store: KpiStore;
  /** The API token the local server requires, if any. */
  readonly apiToken?: string;
}

function pointBody(point: {
  period_start: string;
  value: number;
  n: number;
  ci95: readonly [number, number] | null;
  components: Readonly<Record<string, number | null>>;
  change?: number | null | undefined;
  change_significant?: boolean | null | undefined;
  low_sample?: boolean | undefined;
  complete: boolean;
  computed_at: string;
}): PointBody {
  return {
    period_start: point.period_start,
    value: point.value,
    n: point.n,
    ci95: point.ci95 ? [point.ci95[0], point.ci95[1]] : null,
    components: { ...point.components },
    change: point.change ?? null,
    change_significant: point.change_significant ?? null,
    low_sample: point.low_sample ?? false,
    complete: point.complete,
    computed_at: point.computed_at,
  };
}

/** One metric's series for a segment: a single Query on the KPI store. */
export async function kpiSeries(
  store: KpiStore,
  metric: string,
  query: { grain: Grain; from?: string | undefined; to?: string | undefined; segment?: Segment | undefined },
): Promise<SeriesResponse> {
  const definition = KPI_QUERIES.find((candidate) => candidate.id === metric);
  if (!definition) {
    throw new HttpProblem(
      404,
      'unknown-metric',
      `there is no metric "${metric}"; try ${KPI_QUERIES.map((q) => q.id).join(', ')}`,
    );
  }
  const points = await store.series(
    metric,
    query.grain,
    query.segment ?? null,
    query.from ?? '0000-01-01',
    query.to ?? '9999-12-31',
  );
  return {
    metric,
    title: definition.title,
    unit: definition.unit,
    grain: query.grain,
    segment: query.segment ?? null,
    points: points.map(pointBody),
  };
}

/** The current KPIs: the latest complete and the current period of every metric, one read of the summary item. */
export async function currentKpis(store: KpiStore, grain: Grain): Promise<CurrentResponse> {
  const summary = await store.summary(grain);
  const metrics: CurrentResponse['metrics'] = {};
  for (const query of KPI_QUERIES) {
    const entry = summary?.metrics[query.id];
    metrics[query.id] = {
      title: query.title,
      unit: query.unit,
      latest_complete: entry?.latest_complete ? pointBody(entry.latest_complete) : null,
      current: entry?.current ? pointBody(entry.current) : null,
    };
  }
  return { grain, computed_at: summary?.computed_at ?? null, metrics };
}
