import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateStandardWebhooksSecret } from '../lambdas/local/home.js';
import { startNodeProcess, startServerProcess } from '../test/support/server-process.js';
import { summarizeCpuProfiles } from './cpu-profile.js';
import { type LoadResult, runLoad } from './load.js';
import type { BenchSection, ResultTable } from './section.js';

/** cs-pulse should keep at least half the bare server's throughput while making every write durable. */
const GOAL_RATIO = 0.5;

interface Plan {
  readonly levels: readonly number[];
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly maxRequests: number;
}

const FULL: Plan = { levels: [16, 64], warmupMs: 3000, durationMs: 10_000, maxRequests: 150_000 };
const QUICK: Plan = { levels: [16], warmupMs: 500, durationMs: 2000, maxRequests: 30_000 };

interface Measurement {
  readonly server: 'bare node:http' | 'cs-pulse';
  readonly connections: number;
  readonly result: LoadResult;
}

/**
 * Webhooks per second through the real `cs-pulse start` process (signature check, raw archive, normalization, journal
 * with group commit, 202 only after fdatasync) against a bare node:http server on the same machine, both driven by the
 * same load generator process.
 */
export const ingestSection: BenchSection = {
  name: 'ingest',
  title: 'Webhook ingest',
  async run({ quick, profile, log }) {
    const plan = quick ? QUICK : FULL;
    const work = await mkdtemp(path.join(tmpdir(), 'cs-pulse-bench-'));
    const home = path.join(work, 'home');
    const profileDir = path.join(work, 'profile');
    const secret = generateStandardWebhooksSecret();
    const measurements: Measurement[] = [];
    const bare = await startNodeProcess({
      script: 'bench/bare-server.ts',
      readyPattern: /listening on (http:\/\/\S+)/,
    });
    const csPulse = await startServerProcess({
      home,
      env: { CS_PULSE_SECRET_GENERIC: secret },
      nodeArgs: profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    });
    try {
      // All bare levels first, then all cs-pulse levels, so cs-pulse's background checkpoints never land in a
      // baseline run.
      for (const [server, url] of [
        ['bare node:http', bare.url],
        ['cs-pulse', csPulse.url],
      ] as const) {
        for (const connections of plan.levels) {
          log(`  ${server}, ${connections} connections…`);
          const result = await runLoad({
            url: `${url}/webhooks/generic`,
            secret,
            idPrefix: `${server === 'cs-pulse' ? 'cs' : 'bare'}${connections}`,
            concurrency: connections,
            warmupMs: plan.warmupMs,
            durationMs: plan.durationMs,
            maxRequests: plan.maxRequests,
          });
          log(
            `    ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms`,
          );
          measurements.push({ server, connections, result });
        }
      }
    } finally {
      await bare.kill('SIGTERM');
      await csPulse.kill('SIGTERM');
    }

    // The numbers count only if every acknowledged delivery is really in the lake.
    const expectedRaw = measurements
      .filter((m) => m.server === 'cs-pulse')
      .reduce((sum, m) => sum + m.result.acknowledgedDeliveries, 0);
    const rawObjects = await countFiles(path.join(home, 'lake', 'raw'), '.json');
    const tableObjects = await countFiles(path.join(home, 'lake', 'tables'), '.jsonl');
    const profileSummary = profile ? await summarizeCpuProfiles(profileDir) : undefined;
    await rm(work, { recursive: true, force: true });

    const tables: ResultTable[] = [resultsTable(measurements)];
    if (profileSummary) {
      tables.push({
        columns: ['cs-pulse CPU by area (self time)', 'ms', 'share'],
        rows: profileSummary.byArea
          .slice(0, 14)
          .map((row) => [row.area, row.ms.toFixed(0), percent(row.share)]),
      });
      tables.push({
        columns: ['cs-pulse hottest functions (self time)', 'ms', 'share'],
        rows: profileSummary.topFunctions.map((row) => [
          row.name.replaceAll('|', '\\|'),
          row.ms.toFixed(0),
          percent(row.share),
        ]),
      });
    }

    return {
      method: [
        `Two servers on loopback: the real \`cs-pulse start\` process (its own \`node\` process, fresh CS_PULSE_HOME, journal durability: a 202 only after the journal's fdatasync) and a bare \`node:http\` server that reads each body and answers 202. One load generator process per run (node:http keep-alive Agent, one connection per worker) sends distinct Standard Webhooks deliveries, all built and signed before the clock starts: 55 % survey responses (NPS, CSAT, CES), 25 % subscription starts, changes and cancellations, 20 % account updates with segment attributes, every 20th delivery a batch of 25 events, event dates spread over 30 days.`,
        `Each run: ${plan.warmupMs / 1000} s warm-up on the same connections, then ${plan.durationMs / 1000} s measured (at most ${plan.maxRequests.toLocaleString('en-US')} requests). Connection levels: ${plan.levels.join(', ')}. Latency is per request, from write to the end of the answer, as the client sees it. The load generator shares the machine's cores with the server it drives, as it does for both servers.`,
        `After the runs the lake is checked: it must hold one raw object per distinct delivery cs-pulse acknowledged (${expectedRaw.toLocaleString('en-US')} expected, ${rawObjects.toLocaleString('en-US')} found) and their table files (${tableObjects.toLocaleString('en-US')}).`,
      ],
      tables,
      findings: findingsOf(measurements, expectedRaw, rawObjects),
    };
  },
};

function resultsTable(measurements: readonly Measurement[]): ResultTable {
  const bareAt = (connections: number) =>
    measurements.find((m) => m.server === 'bare node:http' && m.connections === connections)?.result;
  const sorted = [...measurements].sort((a, b) => a.connections - b.connections);
  return {
    columns: [
      'server',
      'connections',
      'requests',
      'req/s',
      'events/s',
      'p50 ms',
      'p99 ms',
      'not 2xx',
      'vs bare',
    ],
    rows: sorted.map(({ server, connections, result }) => {
      const bare = bareAt(connections);
      const failures = Object.entries(result.outcomes)
        .filter(([status]) => !status.startsWith('2'))
        .reduce((sum, [, count]) => sum + count, 0);
      return [
        server,
        String(connections),
        result.requests.toLocaleString('en-US'),
        Math.round(result.requestsPerSecond).toLocaleString('en-US'),
        Math.round(result.eventsPerSecond).toLocaleString('en-US'),
        result.latencyMs.p50.toFixed(2),
        result.latencyMs.p99.toFixed(2),
        String(failures),
        server === 'cs-pulse' && bare
          ? `${(result.requestsPerSecond / bare.requestsPerSecond).toFixed(2)}×`
          : '',
      ];
    }),
  };
}

function findingsOf(measurements: readonly Measurement[], expectedRaw: number, rawObjects: number): string[] {
  const findings: string[] = [];
  for (const cs of measurements.filter((m) => m.server === 'cs-pulse')) {
    const bare = measurements.find(
      (m) => m.server === 'bare node:http' && m.connections === cs.connections,
    )?.result;
    if (!bare) continue;
    const ratio = cs.result.requestsPerSecond / bare.requestsPerSecond;
    findings.push(
      `${cs.connections} connections: cs-pulse ${Math.round(cs.result.requestsPerSecond).toLocaleString('en-US')} req/s = ${ratio.toFixed(2)}× bare (goal ≥ ${GOAL_RATIO}×: ${ratio >= GOAL_RATIO ? 'met' : 'missed'}).`,
    );
  }
  const refused = measurements
    .filter((m) => m.server === 'cs-pulse')
    .flatMap((m) => Object.entries(m.result.outcomes).filter(([status]) => !status.startsWith('2')));
  if (refused.length > 0) {
    findings.push(
      `cs-pulse answered some requests with something else than 2xx: ${JSON.stringify(refused)}.`,
    );
  }
  if (rawObjects !== expectedRaw) {
    findings.push(
      `The lake holds ${rawObjects} raw objects where ${expectedRaw} deliveries were acknowledged: the run is not trustworthy.`,
    );
  }
  return findings;
}

async function countFiles(folder: string, suffix: string): Promise<number> {
  try {
    const entries = await readdir(folder, { recursive: true, withFileTypes: true });
    return entries.filter((entry) => entry.isFile() && entry.name.endsWith(suffix)).length;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}
