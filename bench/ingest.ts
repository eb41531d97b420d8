import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateStandardWebhooksSecret } from '../lambdas/local/home.js';
import { REPO_ROOT, startNodeProcess, startServerProcess } from '../test/support/server-process.js';
import { summarizeCpuProfiles } from './cpu-profile.js';
import { type LoadResult, runLoad } from './load.js';
import { processCpuMs } from './process-cpu.js';
import type { BenchSection, ResultTable } from './section.js';

/** Scratch space for homes and profiles (git-ignored). */
const BENCH_FOLDER = path.join(REPO_ROOT, '.bench');

/** cs-pulse should keep at least half the bare server's throughput while making every write durable. */
const GOAL_RATIO = 0.5;

interface Plan {
  readonly levels: readonly number[];
  /** Each level is measured this many times, bare and cs-pulse alternating, so a noisy moment hits both. */
  readonly rounds: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly maxRequests: number;
}

const FULL: Plan = { levels: [16, 64], rounds: 2, warmupMs: 2000, durationMs: 6000, maxRequests: 60_000 };
const QUICK: Plan = { levels: [16], rounds: 1, warmupMs: 500, durationMs: 2000, maxRequests: 30_000 };

type ServerName = 'bare node:http' | 'cs-pulse';

interface Measurement {
  readonly server: ServerName;
  readonly connections: number;
  readonly round: number;
  readonly result: LoadResult;
  /** The server process's CPU time (all threads) per measured request, when the OS tells it. */
  readonly serverCpuMsPerRequest: number | undefined;
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
    // The home lives in the project folder, where `npm start` keeps .cs-pulse, not in the system temp folder (which
    // may be another file system, or tmpfs).
    await mkdir(BENCH_FOLDER, { recursive: true });
    const work = await mkdtemp(path.join(BENCH_FOLDER, 'ingest-'));
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
    const servers = { 'bare node:http': bare, 'cs-pulse': csPulse } as const;
    try {
      for (let round = 1; round <= plan.rounds; round += 1) {
        for (const connections of plan.levels) {
          for (const server of ['bare node:http', 'cs-pulse'] as const) {
            const target = servers[server];
            // cs-pulse checkpoints in the background after a run; no baseline run may share the machine with that.
            await settled(csPulse.child.pid);
            log(`  round ${round}, ${server}, ${connections} connections…`);
            let cpuAtStart: number | undefined;
            let cpuAtEnd: number | undefined;
            const result = await runLoad(
              {
                url: `${target.url}/webhooks/generic`,
                secret,
                idPrefix: `${server === 'cs-pulse' ? 'cs' : 'bare'}-${round}-${connections}`,
                concurrency: connections,
                warmupMs: plan.warmupMs,
                durationMs: plan.durationMs,
                maxRequests: plan.maxRequests,
              },
              {
                onMeasuring: (phase) => {
                  const cpu = processCpuMs(target.child.pid!);
                  if (phase === 'start') cpuAtStart = cpu;
                  else cpuAtEnd = cpu;
                },
              },
            );
            const serverCpuMsPerRequest =
              cpuAtStart !== undefined && cpuAtEnd !== undefined && result.requests > 0
                ? (cpuAtEnd - cpuAtStart) / result.requests
                : undefined;
            log(
              `    ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms${serverCpuMsPerRequest === undefined ? '' : `, server CPU ${serverCpuMsPerRequest.toFixed(3)} ms/request`}`,
            );
            measurements.push({ server, connections, round, result, serverCpuMsPerRequest });
          }
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
        `Each run: ${plan.warmupMs / 1000} s warm-up on the same connections, then ${plan.durationMs / 1000} s measured (at most ${plan.maxRequests.toLocaleString('en-US')} requests). Connection levels: ${plan.levels.join(', ')}, ${plan.rounds === 1 ? 'once' : `${plan.rounds} rounds`}, bare and cs-pulse alternating; before each run the bench waits until cs-pulse's background checkpoint is done. Latency is per request, from write to the end of the answer, as the client sees it. The load generator shares the machine's cores with the server it drives, as it does for both servers. Server CPU is the server process's user + system time (all threads) during the measured part, per request, from /proc: it says what a request costs even when other programs compete for the machine.`,
        "What cs-pulse does for each request that the bare server does not: route and build the API Gateway event, verify the HMAC signature, parse and validate the events (zod), build the raw record and the table rows, append them to the journal with the other requests of its group and wait for the one fdatasync, then write the raw object (a temporary file renamed into place, on a writer thread) before answering; a background checkpoint later writes the table rows of all the requests of a journal segment as one file per (table, event date), makes the files durable and retires the journal. So each delivery still creates one new file, its raw object, and the file system's cost of creating a file is a large part of a request's.",
        `After the runs the lake is checked: it must hold one raw object per distinct delivery cs-pulse acknowledged (${expectedRaw.toLocaleString('en-US')} expected, ${rawObjects.toLocaleString('en-US')} found) and their table files (${tableObjects.toLocaleString('en-US')}).`,
      ],
      tables,
      findings: findingsOf(measurements, expectedRaw, rawObjects),
    };
  },
};

function resultsTable(measurements: readonly Measurement[]): ResultTable {
  const bareAt = (connections: number, round: number) =>
    measurements.find(
      (m) => m.server === 'bare node:http' && m.connections === connections && m.round === round,
    )?.result;
  const sorted = [...measurements].sort((a, b) => a.connections - b.connections || a.round - b.round);
  return {
    columns: [
      'server',
      'connections',
      'round',
      'requests',
      'req/s',
      'events/s',
      'p50 ms',
      'p99 ms',
      'server CPU ms/req',
      'not 2xx',
      'vs bare',
    ],
    rows: sorted.map(({ server, connections, round, result, serverCpuMsPerRequest }) => {
      const bare = bareAt(connections, round);
      const failures = Object.entries(result.outcomes)
        .filter(([status]) => !status.startsWith('2'))
        .reduce((sum, [, count]) => sum + count, 0);
      return [
        server,
        String(connections),
        String(round),
        result.requests.toLocaleString('en-US'),
        Math.round(result.requestsPerSecond).toLocaleString('en-US'),
        Math.round(result.eventsPerSecond).toLocaleString('en-US'),
        result.latencyMs.p50.toFixed(2),
        result.latencyMs.p99.toFixed(2),
        serverCpuMsPerRequest === undefined ? 'n/a' : serverCpuMsPerRequest.toFixed(3),
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
  for (const connections of [...new Set(measurements.map((m) => m.connections))]) {
    // Pooled over rounds: all requests over all measured time.
    const pooled = (server: ServerName) => {
      const runs = measurements.filter((m) => m.server === server && m.connections === connections);
      const requests = runs.reduce((sum, m) => sum + m.result.requests, 0);
      const seconds = runs.reduce((sum, m) => sum + m.result.elapsedMs / 1000, 0);
      const cpu = runs.every((m) => m.serverCpuMsPerRequest !== undefined)
        ? runs.reduce((sum, m) => sum + m.serverCpuMsPerRequest! * m.result.requests, 0) / requests
        : undefined;
      return { perSecond: requests / seconds, cpu };
    };
    const bare = pooled('bare node:http');
    const cs = pooled('cs-pulse');
    const ratio = cs.perSecond / bare.perSecond;
    // CPU per request times requests per second: how busy the server kept the machine. Well under one core means
    // it was waiting (on the disk), not computing.
    const cpuNote =
      bare.cpu !== undefined && cs.cpu !== undefined
        ? ` cs-pulse used ${(cs.cpu / bare.cpu).toFixed(1)}× the bare server's CPU per request (${cs.cpu.toFixed(3)} against ${bare.cpu.toFixed(3)} ms) and kept ${((cs.cpu * cs.perSecond) / 1000).toFixed(2)} cores busy (bare: ${((bare.cpu * bare.perSecond) / 1000).toFixed(2)}).`
        : '';
    findings.push(
      `${connections} connections: cs-pulse ${Math.round(cs.perSecond).toLocaleString('en-US')} req/s against ${Math.round(bare.perSecond).toLocaleString('en-US')} bare = ${ratio.toFixed(2)}× (goal ≥ ${GOAL_RATIO}×: ${ratio >= GOAL_RATIO ? 'met' : 'missed'}).${cpuNote}`,
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

/** Waits until a process has used (almost) no CPU for half a second: its background work is done. */
async function settled(pid: number | undefined, timeoutMs = 20_000): Promise<void> {
  if (pid === undefined || processCpuMs(pid) === undefined) return;
  const giveUpAt = performance.now() + timeoutMs;
  let before = processCpuMs(pid)!;
  while (performance.now() < giveUpAt) {
    await sleep(500);
    const now = processCpuMs(pid);
    if (now === undefined || now - before <= 10) return;
    before = now;
  }
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
