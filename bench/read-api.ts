import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT, startNodeProcess } from '../test/support/server-process.js';
import { summarizeCpuProfiles } from './cpu-profile.js';
import { generatedLake } from './kpi-lake.js';
import type { BackfillResult } from './kpi-worker.js';
import { label } from './kpis.js';
import { type OpenLoopResult, openLoop } from './open-loop.js';
import { processCpuMs } from './process-cpu.js';
import type { BenchSection, ResultTable } from './section.js';
import { runWorker } from './worker-process.js';

const BENCH_FOLDER = path.join(REPO_ROOT, '.bench');

/** p99 latency goal of a read-API call, and how many KPI store requests one call should make. */
const GOAL_P99_MS = 10;
const GOAL_STORE_REQUESTS = 1;

const LAKE_EVENTS = 100_000;
const SEGMENT = 'plan:growth';

interface Plan {
  /** The goal's rate, and a light one that shows a call's latency when nothing queues. */
  readonly rates: readonly number[];
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly maxInFlight: number;
  /** Calls per endpoint, one at a time, in the separately profiled server. */
  readonly profiledCalls: number;
}

const FULL: Plan = {
  rates: [25, 200],
  warmupMs: 2000,
  durationMs: 10_000,
  maxInFlight: 64,
  profiledCalls: 1500,
};
const QUICK: Plan = {
  rates: [25, 200],
  warmupMs: 1000,
  durationMs: 3000,
  maxInFlight: 64,
  profiledCalls: 300,
};

const ENDPOINTS = [
  { name: 'one series', path: `/v1/kpis/nps?grain=month&segment=${encodeURIComponent(SEGMENT)}` },
  { name: 'current KPIs', path: '/v1/kpis' },
] as const;

interface Measurement {
  readonly endpoint: (typeof ENDPOINTS)[number];
  readonly rate: number;
  /** The server process's CPU time (all threads) per measured call, from /proc. */
  readonly serverCpuMs: number | undefined;
  readonly result: OpenLoopResult;
  /** KPI store requests during the measured calls, by DynamoDB operation. */
  readonly storeRequests: Readonly<Record<string, number>>;
  /** What the first answer held: points of the series, or metrics of the current KPIs. */
  readonly served: string;
}

/**
 * Read-API latency at a fixed request rate against the local app (the real `startLocalApp`, its KPI store on
 * dynalite in the same process), with the KPI store filled by a real backfill of the generated 100k-event lake.
 */
export const readApiSection: BenchSection = {
  name: 'read-api',
  title: 'Read API',
  async run({ quick, log }) {
    const plan = quick ? QUICK : FULL;
    await mkdir(BENCH_FOLDER, { recursive: true });
    const lake = await generatedLake(BENCH_FOLDER, LAKE_EVENTS, log);
    const work = await mkdtemp(path.join(BENCH_FOLDER, 'read-api-'));
    const home = path.join(work, 'home');
    try {
      log(`  backfilling the KPI store from the ${label(LAKE_EVENTS)} lake…`);
      const backfill = await runWorker<BackfillResult>('bench/kpi-worker.ts', ['backfill', lake.root, home]);
      const points = backfill.result!.points;
      log(`    ${points.toLocaleString('en-US')} KPI points in ${backfill.result!.seconds.toFixed(0)} s`);
      const server = await startNodeProcess({
        script: 'bench/read-api-server.ts',
        args: [home],
        readyPattern: /read API serving on (http:\/\/\S+)/,
      });
      const countsUrl = /KPI store request counts on (http:\/\/\S+)/.exec(server.output())?.[1];
      if (!countsUrl)
        throw new Error(`the read API server did not say where its counts are:\n${server.output()}`);
      const measurements: Measurement[] = [];
      try {
        for (const endpoint of ENDPOINTS) {
          for (const rate of plan.rates) {
            const url = `${server.url}${endpoint.path}`;
            log(
              `  ${endpoint.name}: ${rate} req/s, ${plan.warmupMs / 1000} s warm-up, ${plan.durationMs / 1000} s measured…`,
            );
            await openLoop({ url, rate, durationMs: plan.warmupMs, maxInFlight: plan.maxInFlight });
            const before = await storeCounts(countsUrl);
            const cpuBefore = processCpuMs(server.child.pid!);
            const result = await openLoop({
              url,
              rate,
              durationMs: plan.durationMs,
              maxInFlight: plan.maxInFlight,
            });
            const cpuAfter = processCpuMs(server.child.pid!);
            const after = await storeCounts(countsUrl);
            const storeRequests = Object.fromEntries(
              Object.keys(after)
                .map((operation) => [operation, (after[operation] ?? 0) - (before[operation] ?? 0)] as const)
                .filter(([, count]) => count > 0),
            );
            const serverCpuMs =
              cpuBefore !== undefined && cpuAfter !== undefined && result.sent > 0
                ? (cpuAfter - cpuBefore) / result.sent
                : undefined;
            const measurement = {
              endpoint,
              rate,
              serverCpuMs,
              result,
              storeRequests,
              served: servedOf(result.sample),
            };
            log(
              `    p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms, ${perCall(measurement).toFixed(2)} store requests per call${serverCpuMs === undefined ? '' : `, server CPU ${serverCpuMs.toFixed(2)} ms per call`}`,
            );
            measurements.push(measurement);
          }
        }
      } finally {
        await server.kill('SIGTERM');
      }
      log(`  where a call's CPU goes: ${plan.profiledCalls} calls per endpoint, one at a time, profiled…`);
      const profile = await profiledCalls(home, path.join(work, 'profile'), plan.profiledCalls);
      return {
        method: [
          `The local app (\`startLocalApp\`, the runtime of \`npm start\`) in its own process on loopback, its KPI store (dynalite, in that process) filled by a real backfill of the ${label(LAKE_EVENTS)}-event lake of the KPI section (${points.toLocaleString('en-US')} KPI points, the cohort tables, survival and churn-driver documents). The bench process sends GET requests open loop: request i is due at start + i / rate and goes out then, whatever became of the earlier ones, on keep-alive connections (at most ${plan.maxInFlight} outstanding; beyond that a request is dropped and counted). ${plan.warmupMs / 1000} s of warm-up, then ${plan.durationMs / 1000} s measured, one endpoint after the other: \`GET ${ENDPOINTS[0].path}\` (one metric's series for one segment) and \`GET ${ENDPOINTS[1].path}\` (every metric's latest and current period).`,
          `Latency is from writing the request to the end of the answer; "from schedule" starts when the request was due, so it also holds any delay of the load generator itself. Each endpoint runs at ${plan.rates.join(' and ')} requests per second: the goal's rate, and a light one that shows what a call costs when nothing queues. Server CPU is the server process's user + system time (all threads) per call during the measured part, from /proc. KPI store requests are counted where they arrive: Node's built-in \`http.server.request.start\` diagnostics channel in the server process sees every request dynalite serves, named by its \`X-Amz-Target\` (the DynamoDB operation), without any change to the app.`,
          `Where a call's CPU goes: a second server on the same home runs under \`node --cpu-prof\` while the bench sends ${plan.profiledCalls} calls to each endpoint, one at a time; its self time is grouped by package (start-up module loading and idle time left out).`,
        ],
        tables: [resultsTable(measurements), profileTable(profile)],
        findings: findingsOf(measurements, profile),
      };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
};

async function storeCounts(url: string): Promise<Record<string, number>> {
  const response = await fetch(url);
  return (await response.json()) as Record<string, number>;
}

function perCall(measurement: Measurement): number {
  const calls = Object.values(measurement.result.statuses).reduce((sum, count) => sum + count, 0);
  const requests = Object.values(measurement.storeRequests).reduce((sum, count) => sum + count, 0);
  return requests / calls;
}

function servedOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { points?: unknown[]; metrics?: Record<string, unknown> };
    if (Array.isArray(parsed.points)) return `${parsed.points.length} points`;
    if (parsed.metrics) return `${Object.keys(parsed.metrics).length} metrics`;
  } catch {
    // not JSON: said below
  }
  return 'not a KPI answer';
}

function resultsTable(measurements: readonly Measurement[]): ResultTable {
  return {
    columns: [
      'endpoint',
      'rate',
      'answer',
      'sent',
      'dropped',
      'not 200',
      'req/s',
      'p50 ms',
      'p90 ms',
      'p99 ms',
      'max ms',
      'p99 from schedule ms',
      'server CPU ms/call',
      'KPI store requests per call',
    ],
    rows: measurements.map((m) => {
      const { result } = m;
      const failures = Object.entries(result.statuses)
        .filter(([status]) => status !== '200')
        .reduce((sum, [, count]) => sum + count, 0);
      return [
        `\`GET ${m.endpoint.path}\``,
        String(m.rate),
        `${m.served}, ${(result.responseBytes / Math.max(1, result.sent) / 1024).toFixed(1)} KiB`,
        result.sent.toLocaleString('en-US'),
        String(result.dropped),
        String(failures),
        ((result.sent * 1000) / result.elapsedMs).toFixed(0),
        result.latencyMs.p50.toFixed(2),
        result.latencyMs.p90.toFixed(2),
        result.latencyMs.p99.toFixed(2),
        result.latencyMs.max.toFixed(2),
        result.latencyFromScheduleMs.p99.toFixed(2),
        m.serverCpuMs === undefined ? 'n/a' : m.serverCpuMs.toFixed(2),
        `${perCall(m).toFixed(2)} (${Object.entries(m.storeRequests)
          .map(([operation, count]) => `${operation} ${count}`)
          .join(', ')})`,
      ];
    }),
  };
}

function findingsOf(measurements: readonly Measurement[], profile: ProfileShare[]): string[] {
  const findings = measurements.map((m) => {
    const p99 = m.result.latencyMs.p99;
    const requests = perCall(m);
    const failures = Object.entries(m.result.statuses).filter(([status]) => status !== '200');
    return `\`GET ${m.endpoint.path}\` at ${m.rate} req/s: p99 ${p99.toFixed(2)} ms (goal < ${GOAL_P99_MS} ms: ${p99 < GOAL_P99_MS ? 'met' : 'missed'}), p50 ${m.result.latencyMs.p50.toFixed(2)} ms; ${requests.toFixed(2)} KPI store requests per call (goal: ${GOAL_STORE_REQUESTS}: ${Math.abs(requests - GOAL_STORE_REQUESTS) < 1e-9 ? 'met' : 'missed'})${m.serverCpuMs === undefined ? '' : `; ${m.serverCpuMs.toFixed(2)} ms of server CPU per call, so ${Math.floor(1000 / m.serverCpuMs)} calls per second fill one core`}.${m.result.dropped > 0 ? ` ${m.result.dropped} requests dropped: the server fell behind.` : ''}${failures.length > 0 ? ` Answers other than 200: ${JSON.stringify(Object.fromEntries(failures))}.` : ''}`;
  });
  if (profile.length > 0) {
    findings.push(
      `Where a call's CPU goes: ${profile
        .slice(0, 4)
        .map((row) => `${row.part} ${percent(row.share)}`)
        .join(', ')}.`,
    );
  }
  return findings;
}

interface ProfileShare {
  readonly part: string;
  readonly ms: number;
  readonly share: number;
}

/** Packages grouped into the parts of a call: the app, the AWS SDK client, dynalite and its LevelDB, Node's HTTP. */
const PARTS: readonly { part: string; test: (area: string) => boolean }[] = [
  {
    part: 'AWS SDK client (@aws-sdk, @smithy: marshalling, SigV4 signing, JSON parsing)',
    test: (a) => /^@(aws-sdk|smithy|aws-crypto)\b/.test(a) || a === 'node:crypto',
  },
  {
    part: 'dynalite and LevelDB (the KPI store server)',
    test: (a) => /^(dynalite|abstract-level|classic-level|level|buffer-crc32|lazy|once|big\.js)/.test(a),
  },
  {
    part: 'cs-pulse handlers, middy, zod',
    test: (a) => a.startsWith('lambdas') || a.startsWith('@middy') || a === 'zod' || a.startsWith('queries'),
  },
  {
    part: 'Node.js HTTP, streams, events, timers',
    test: (a) => /^node:|^native (writev|writeUtf8String|writeBuffer|runMicrotasks)/.test(a),
  },
  { part: 'garbage collection', test: (a) => a === 'garbage collection' },
];
const LEFT_OUT = new Set(['idle', 'node:modules', 'node:deps', 'node:internal/modules']);

async function profiledCalls(home: string, profileDir: string, calls: number): Promise<ProfileShare[]> {
  const server = await startNodeProcess({
    script: 'bench/read-api-server.ts',
    args: [home],
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
    readyPattern: /read API serving on (http:\/\/\S+)/,
  });
  try {
    for (const endpoint of ENDPOINTS) {
      for (let index = 0; index < calls; index += 1) {
        const response = await fetch(`${server.url}${endpoint.path}`);
        await response.arrayBuffer();
      }
    }
  } finally {
    await server.kill('SIGTERM');
  }
  const summary = await summarizeCpuProfiles(profileDir);
  const areas = summary.byArea.filter(
    (row) => !LEFT_OUT.has(row.area) && !row.area.startsWith('node:internal/modules'),
  );
  const counted = areas.reduce((sum, row) => sum + row.ms, 0);
  const parts = new Map<string, number>();
  for (const row of areas) {
    const part = PARTS.find((candidate) => candidate.test(row.area))?.part ?? 'other';
    parts.set(part, (parts.get(part) ?? 0) + row.ms);
  }
  return [...parts]
    .map(([part, ms]) => ({ part, ms, share: counted > 0 ? ms / counted : 0 }))
    .sort((a, b) => b.ms - a.ms);
}

function profileTable(profile: readonly ProfileShare[]): ResultTable {
  return {
    columns: ['server CPU by part (self time)', 'ms', 'share'],
    rows: profile.map((row) => [row.part, row.ms.toFixed(0), percent(row.share)]),
  };
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}
