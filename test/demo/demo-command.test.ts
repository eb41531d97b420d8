import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { demoCommand } from '../../lambdas/cli/demo-command.js';
import { localHome } from '../../lambdas/local/home.js';
import { openLocalKpiStore } from '../../lambdas/local/local-kpi-store.js';
import { KPI_QUERIES } from '../../queries/registry.js';
import { tableRows } from '../support/lake-files.js';
import { withTempHome } from '../support/temp-home.js';

/**
 * `npm run demo` end to end, in this process: a small company through the real server's signed endpoints (generic,
 * then the vendors'), the backfill aggregation into the KPI store, and the printed summary.
 */
describe('npm run demo -- --no-serve', () => {
  let home: Awaited<ReturnType<typeof withTempHome>>;
  let stdout: string[];
  let stderr: string[];

  beforeEach(async () => {
    home = await withTempHome();
    vi.stubEnv('CS_PULSE_HOME', home.root);
    vi.stubEnv('PORT', '0');
    vi.stubEnv('HOST', '127.0.0.1');
    vi.stubEnv('CS_PULSE_AGGREGATE_INTERVAL_SECONDS', '0');
    for (const name of Object.keys(process.env)) {
      if (
        name.startsWith('CS_PULSE_SECRET_') ||
        name === 'CS_PULSE_CONFIG' ||
        name === 'CS_PULSE_API_TOKEN'
      ) {
        vi.stubEnv(name, undefined);
      }
    }
    stdout = [];
    stderr = [];
    vi.spyOn(console, 'log').mockImplementation((...parts) => void stdout.push(parts.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...parts) => void stderr.push(parts.join(' ')));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr.push(String(chunk));
      return true;
    });
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    await home.cleanup();
  });

  /** Every metric has monthly points overall and for a plan segment, read from the KPI store the server filled. */
  async function expectKpisForEveryMetric() {
    const kpiStore = await openLocalKpiStore(localHome(home.root));
    try {
      for (const query of KPI_QUERIES) {
        const overall = await kpiStore.store.series(query.id, 'month', null, '0000-01-01', '9999-12-31');
        expect(overall.length, query.id).toBeGreaterThan(0);
        const segments = await kpiStore.store.segments(query.id, 'month');
        expect(segments.map((segment) => segment.key)).toEqual(
          expect.arrayContaining(['plan', 'region', 'industry', 'size_band']),
        );
      }
      const summary = await kpiStore.store.summary('month');
      expect(Object.keys(summary!.metrics).sort()).toEqual(KPI_QUERIES.map((query) => query.id).sort());
    } finally {
      await kpiStore.close();
    }
  }

  it('posts a small company through the generic endpoint, aggregates and prints the KPIs and what to try', async () => {
    const code = await demoCommand.run(['--accounts', '60', '--months', '6', '--no-serve']);
    const printed = stdout.join('\n');
    expect(code, `${printed}\n${stderr.join('')}`).toBe(0);

    await expectKpisForEveryMetric();
    const posted =
      /Posted (\d+) signed requests? \(generic \d+\) to (http:\/\/127\.0\.0\.1:\d+): (\d+) canonical/.exec(
        printed,
      );
    expect(posted).not.toBeNull();
    const url = posted![2]!;
    expect(Number(posted![3])).toBeGreaterThan(60);
    for (const query of KPI_QUERIES) expect(printed).toMatch(new RegExp(`^${query.id}\\s`, 'm'));
    expect(printed).toContain(`curl -s '${url}/v1/kpis'`);
    expect(printed).toContain(`curl -s '${url}/v1/openapi.json'`);
    expect(printed).toContain('npm run query -- cohort_retention');
    // The progress bar ends complete, on stderr (no TTY here: whole lines).
    expect(stderr.join('')).toMatch(/posting \(generic\) \[#{30}\] 100%/);
  });

  it('with --vendors, sends Stripe, HubSpot, Delighted, Typeform and Zendesk formats that resolve to one account id', async () => {
    const code = await demoCommand.run(['--accounts', '60', '--months', '6', '--vendors', '--no-serve']);
    expect(code, `${stdout.join('\n')}\n${stderr.join('')}`).toBe(0);
    await expectKpisForEveryMetric();

    const lake = localHome(home.root).lake;
    const accounts = await tableRows(lake, 'accounts');
    const subscriptions = await tableRows(lake, 'subscriptions');
    const surveys = await tableRows(lake, 'survey_responses');
    expect(new Set(accounts.map((row) => row.source))).toEqual(new Set(['hubspot']));
    expect(new Set(subscriptions.map((row) => row.source))).toEqual(new Set(['stripe']));
    expect(new Set(surveys.map((row) => row.source))).toEqual(new Set(['delighted', 'typeform', 'zendesk']));
    const known = new Set(accounts.map((row) => row.account_id));
    expect(known.size).toBe(60);
    const strangers = [...subscriptions, ...surveys].filter((row) => !known.has(row.account_id));
    expect(strangers).toEqual([]);
  });
});
