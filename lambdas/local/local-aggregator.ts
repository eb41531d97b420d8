import { DuckDbSqlEngine } from '../adapters/duckdb-sql-engine.js';
import { type AggregateReport, aggregateKpis } from '../kpis/aggregate-kpis.js';
import type { Clock } from '../ports/clock.js';
import type { KpiStore } from '../ports/kpi-store.js';
import type { ObjectStore } from '../ports/object-store.js';

/**
 * Runs aggregations for one home, one at a time: the timer of `npm start` and explicit calls share it, so two never
 * race on the same periods. DuckDB runs on its own threads, so ingest keeps answering while it computes.
 */
export class LocalAggregator {
  private running: Promise<AggregateReport> | undefined;

  constructor(
    private readonly lakeRoot: string,
    private readonly lake: ObjectStore & { sync(): Promise<void> },
    private readonly store: KpiStore,
    private readonly clock: Clock,
    private readonly statistics: { lowSampleMin?: number; churnHorizonDays?: number } = {},
  ) {}

  /** Aggregates now; a call while one runs waits for it and then runs once more with what arrived meanwhile. */
  async run(options: { backfill?: boolean; asOf?: Date } = {}): Promise<AggregateReport> {
    while (this.running) {
      await this.running.catch(() => undefined);
    }
    this.running = this.aggregate(options);
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  /** Resolves once no aggregation is running. */
  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }

  /** Whether an aggregation is under way. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  private async aggregate(options: { backfill?: boolean; asOf?: Date }): Promise<AggregateReport> {
    // The server writes table rows of many deliveries together at its journal checkpoints: take every accepted row.
    await this.lake.sync();
    const engine = await DuckDbSqlEngine.open({ lakeRoot: this.lakeRoot });
    try {
      return await aggregateKpis({
        engine,
        lake: this.lake,
        store: this.store,
        asOf: options.asOf ?? this.clock.now(),
        backfill: options.backfill ?? false,
        now: () => this.clock.now(),
        ...this.statistics,
      });
    } finally {
      await engine.close();
    }
  }
}
