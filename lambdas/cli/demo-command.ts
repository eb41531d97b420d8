import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readSettings } from '../config/settings.js';
import { churnDrivers, churnPercent } from '../demo/churn-drivers.js';
import { DEMO_VENDOR_SOURCES, type Delivery, type DemoSource } from '../demo/delivery.js';
import { ensureVendorSecrets } from '../demo/demo-secrets.js';
import { DEMO_SOURCE_OPTIONS } from '../demo/demo-source-options.js';
import { genericDeliveries } from '../demo/generic-deliveries.js';
import { nextSteps } from '../demo/next-steps.js';
import { busyPortMessage, portInUse } from '../demo/port-check.js';
import { postDeliveries } from '../demo/post-deliveries.js';
import { ProgressBar } from '../demo/progress-bar.js';
import { simulateCompany } from '../demo/simulate-company.js';
import { vendorDeliveries } from '../demo/vendor-deliveries.js';
import { type LocalHome, localHome } from '../local/home.js';
import { type LocalApp, startLocalApp } from '../local/local-app.js';
import { summaryTable } from './aggregate-command.js';
import { type Command, UsageError } from './command.js';

export const DEFAULT_DEMO_SEED = '42';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'simulate a SaaS company, send it through the signed webhooks and show its KPIs',
  usage: `Usage: npm run demo -- [--accounts N] [--months N] [--seed TEXT] [--vendors] [--no-serve]

Simulates a B2B SaaS company (plans, seats, support tickets, NPS, CES and CSAT answers, churn that follows low NPS
and high effort, some returning customers), starts the local server, posts the history through its real signed
webhook endpoints, computes every KPI and prints them, then keeps serving the read API until Ctrl-C.
The same seed gives the same company (within a month: the history ends now). See docs/demo.md.

Options:
  --accounts N       accounts that sign up over the history (default 1000)
  --months N         months of history, ending with this one (default 24)
  --seed TEXT        random seed (default ${DEFAULT_DEMO_SEED})
  --vendors          send through the vendor endpoints in their own formats (Stripe, HubSpot, Delighted, Typeform,
                     Zendesk) instead of the generic one; writes <home>/cs-pulse.config.json to map their ids
  --concurrency N    requests in flight (default 8)
  --no-serve         exit after printing the KPIs

Environment: CS_PULSE_HOME (default ./.cs-pulse), HOST, PORT (default 3000), CS_PULSE_API_TOKEN; see npm start --help.
`,
  async run(args) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        accounts: { type: 'string', default: '1000' },
        months: { type: 'string', default: '24' },
        seed: { type: 'string', default: DEFAULT_DEMO_SEED },
        vendors: { type: 'boolean', default: false },
        concurrency: { type: 'string', default: '8' },
        'no-serve': { type: 'boolean', default: false },
      },
      strict: true,
    });
    const accounts = wholeNumber('--accounts', values.accounts, 1, 100_000);
    const months = wholeNumber('--months', values.months, 1, 120);
    const concurrency = wholeNumber('--concurrency', values.concurrency, 1, 64);
    if (values.seed.trim() === '') throw new UsageError('--seed needs some text');

    let settings = readSettings();
    const home = localHome(settings.CS_PULSE_HOME);
    if (settings.PORT !== 0 && (await portInUse(settings.HOST, settings.PORT))) {
      console.error(busyPortMessage(settings.HOST, settings.PORT));
      return 1;
    }
    if (await lakeHasTables(home)) {
      console.error(
        `note: ${home.lake} already holds data; the demo adds to it (the same seed redelivers the same events). For a clean company, remove ${home.root} or set CS_PULSE_HOME.`,
      );
    }

    const secrets: Partial<Record<DemoSource, string>> = {};
    let configFile: string | undefined;
    if (values.vendors) {
      configFile = path.join(home.root, 'cs-pulse.config.json');
      await mkdir(home.root, { recursive: true });
      await writeFile(configFile, `${JSON.stringify(DEMO_SOURCE_OPTIONS, null, 2)}\n`);
      if (settings.CS_PULSE_CONFIG && path.resolve(settings.CS_PULSE_CONFIG) !== configFile) {
        console.error(
          `note: --vendors uses its own mapping config ${configFile}, not ${settings.CS_PULSE_CONFIG}`,
        );
      }
      settings = { ...settings, CS_PULSE_CONFIG: configFile };
      Object.assign(secrets, await ensureVendorSecrets(home, DEMO_VENDOR_SOURCES));
    }

    const began = performance.now();
    const company = simulateCompany({ seed: values.seed, accounts, months, now: new Date() });
    const deliveries: Delivery[] = values.vendors
      ? vendorDeliveries(company.events, company.accounts)
      : genericDeliveries(company.events);
    const simulatedSeconds = seconds(began);
    console.log(
      `Simulated ${company.accounts.length.toLocaleString('en-US')} accounts over ${months} months from ${company.start.toISOString().slice(0, 7)} (seed ${values.seed}): ${company.events.length.toLocaleString('en-US')} events in ${count(deliveries.length, 'request')}, ${simulatedSeconds.toFixed(1)} s`,
    );

    let app: LocalApp;
    try {
      app = await startLocalApp({ settings });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        console.error(busyPortMessage(settings.HOST, settings.PORT));
        return 1;
      }
      throw error;
    }
    try {
      secrets.generic = app.genericSecret.secret;
      const postBegan = performance.now();
      const bar = new ProgressBar(
        process.stderr,
        company.events.length,
        values.vendors ? 'posting (vendor formats)' : 'posting (generic)',
        'events',
      );
      const posted = await postDeliveries(deliveries, {
        baseUrl: app.url,
        secrets,
        concurrency,
        onDelivered: (events) => bar.advance(events),
      });
      bar.finish();
      if (posted.failures.length > 0) {
        console.error(`the server refused a request, so the demo stopped:`);
        for (const failure of posted.failures) {
          console.error(`  POST /webhooks/${failure.source} → ${failure.status}: ${failure.detail}`);
        }
        return 1;
      }
      const postSeconds = seconds(postBegan);
      const sources = Object.entries(posted.bySource)
        .map(([source, count]) => `${source} ${count.toLocaleString('en-US')}`)
        .join(', ');
      console.log(
        `Posted ${count(posted.requests, 'signed request')} (${sources}) to ${app.url}: ${posted.accepted.toLocaleString('en-US')} canonical events accepted in ${postSeconds.toFixed(1)} s`,
      );

      const aggregateBegan = performance.now();
      const report = await app.aggregator.run({ backfill: true });
      const points = report.runs.reduce((sum, run) => sum + run.written, 0);
      console.log(
        `Aggregated ${points.toLocaleString('en-US')} KPI points (every metric by month and quarter, overall and by plan, region, industry, size_band) in ${seconds(aggregateBegan).toFixed(1)} s\n`,
      );
      console.log(summaryTable(report.summaries.find((summary) => summary.grain === 'month')));
      console.log(`\n${driversText(company)}\n`);
      console.log(
        nextSteps({
          url: app.url,
          homeSetting: settings.CS_PULSE_HOME,
          defaultHome: process.env.CS_PULSE_HOME === undefined,
          apiToken: settings.CS_PULSE_API_TOKEN,
          from: company.start.toISOString().slice(0, 10),
          configFile,
        }),
      );
      console.log(`\nDone in ${seconds(began).toFixed(1)} s.`);
      if (values['no-serve']) return 0;
      console.log(`Serving on ${app.url} (data in ${app.home.root}); Ctrl-C to stop.`);
      await untilInterrupted();
      return 0;
    } finally {
      await app.close();
    }
  },
};

function wholeNumber(option: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(`${option} wants a whole number from ${min} to ${max}, not "${text}"`);
  }
  return value;
}

function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

async function lakeHasTables(home: LocalHome): Promise<boolean> {
  try {
    return (await readdir(path.join(home.lake, 'tables'))).length > 0;
  } catch {
    return false;
  }
}

/** The story the company was built to tell, from the simulated answers: who cancelled. */
function driversText(company: Parameters<typeof churnDrivers>[0]): string {
  const drivers = churnDrivers(company);
  const share = (entry: { accounts: number; churned: number }) =>
    `${churnPercent(entry).toFixed(0)}% of ${entry.accounts}`;
  return [
    'Who cancelled (by their last answer before cancelling):',
    `  last NPS  detractor ${share(drivers.nps.detractor)}, passive ${share(drivers.nps.passive)}, promoter ${share(drivers.nps.promoter)}`,
    `  last CES  hard (1–3) ${share(drivers.effort.high_effort)}, 4–5 ${share(drivers.effort.neutral)}, easy (6–7) ${share(drivers.effort.low_effort)}`,
    'Compare the churn of segments in the API, e.g. segment=plan:starter against plan:enterprise.',
  ].join('\n');
}

function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      console.log('stopping…');
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
