/**
 * A benchmark section: one concern measured on its own (ingest now; KPI backfill and the read API later). `run.ts`
 * runs every registered section in turn, prints its tables and writes them into docs/BENCHMARKS.md.
 */
export interface BenchSection {
  /** Short name, used by `npm run bench -- --only <name>`. */
  readonly name: string;
  readonly title: string;
  run(options: BenchOptions): Promise<SectionResult>;
}

export interface BenchOptions {
  /** A short smoke run: fewer levels, seconds instead of tens of seconds. Its numbers are not for publishing. */
  readonly quick: boolean;
  /** Also record where the measured process spends its CPU (`node --cpu-prof`) and report it. */
  readonly profile: boolean;
  /** Progress lines for the console. */
  readonly log: (line: string) => void;
}

export interface ResultTable {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export interface SectionResult {
  /** What was measured and how, in Markdown paragraphs. */
  readonly method: readonly string[];
  readonly tables: readonly ResultTable[];
  /** What the numbers say, honestly, including when a goal is missed. */
  readonly findings: readonly string[];
}
