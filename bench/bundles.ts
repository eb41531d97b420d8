import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { REPO_ROOT } from '../test/support/server-process.js';
import type { BenchSection, ResultTable } from './section.js';

const run = promisify(execFile);

/**
 * Rounds of fresh processes: in each round every bundle, the baselines included, is imported once by a new `node`
 * (the first import of a module in a process is what a Lambda cold start pays). The rounds interleave the bundles so
 * machine load moves the baselines and the Lambdas alike.
 */
const ROUNDS = { full: 11, quick: 2 } as const;

/** Imports the bundle in a new `node` and prints how long the import took, in milliseconds. */
const LOAD_SCRIPT = `
const started = performance.now();
await import(process.argv[1]);
process.stdout.write(String(performance.now() - started));
`;

interface Bundle {
  readonly name: string;
  readonly file: string;
  /** A baseline row, not a Lambda of the stack. */
  readonly baseline?: boolean;
}

/**
 * Every Lambda of the stack, bundled by the stack itself: the CDK app is built with bundling on, so esbuild runs
 * with exactly the options of lib/lambda-function.ts, and each function's asset is measured.
 */
async function bundleEveryLambda(outdir: string): Promise<Bundle[]> {
  const [{ App }, { addCsPulse }, { CsPulseFunction }] = await Promise.all([
    import('aws-cdk-lib'),
    import('../lib/app.js'),
    import('../lib/lambda-function.js'),
  ]);
  const cdkJson = JSON.parse(await readFile(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const app = new App({ outdir, context: cdkJson.context });
  const stack = addCsPulse(app);
  return stack.node
    .findAll()
    .filter((node) => node instanceof CsPulseFunction)
    .map((fn) => {
      const code = fn.node.findChild('Code') as unknown as { assetPath: string };
      return {
        name: fn.node.path.replace(`${stack.node.id}/`, '').replace(/\/(Job\/)?Function$/, ''),
        file: path.join(outdir, code.assetPath, 'index.mjs'),
      };
    });
}

/** The baseline every Lambda row is divided by: the floor of a Lambda that talks to AWS. */
const CLIENT_BASELINE = 'baseline: DynamoDB client only';

/**
 * Baseline handlers, written into the temporary directory (never into the repository). The first is the floor of any
 * Lambda that talks to AWS: one SDK client built at module scope and one command. The second is the floor of `node`
 * importing a tiny ESM file (plus the REQUIRE_SHIM banner every bundle carries).
 */
const BASELINE_ENTRIES: readonly { readonly name: string; readonly source: string }[] = [
  {
    name: CLIENT_BASELINE,
    source: `import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
const client = new DynamoDBClient({});
export const handler = async (event) =>
  client.send(new GetItemCommand({ TableName: event.table, Key: { pk: { S: event.id } } }));
`,
  },
  {
    name: 'baseline: no imports',
    source: `export const handler = async () => ({ statusCode: 200 });\n`,
  },
];

/**
 * Bundles the baseline handlers the way the stack bundles its Lambdas. NodejsFunction cannot bundle them (it refuses
 * an entry outside the project root), and lib/lambda-function.ts does not export its bundling options, so these mirror
 * what that file hands NodejsFunction, as the esbuild flags NodejsFunction turns them into (bundling.js in
 * aws-cdk-lib/aws-lambda-nodejs): `--bundle --platform=node`, format ESM into `index.mjs`, target node24,
 * `--minify`, `--sourcemap` without sources content, mainFields module/main, the REQUIRE_SHIM banner, the repository's
 * tsconfig, and no externals (the AWS SDK is bundled). Keep them in step with lib/lambda-function.ts.
 */
async function bundleBaselines(outdir: string): Promise<Bundle[]> {
  const { build } = await import('esbuild');
  const bundles: Bundle[] = [];
  for (const [index, { name, source }] of BASELINE_ENTRIES.entries()) {
    const dir = path.join(outdir, `baseline-${index}`);
    await mkdir(dir, { recursive: true });
    const entry = path.join(dir, 'handler.mjs');
    await writeFile(entry, source);
    const file = path.join(dir, 'out', 'index.mjs');
    await build({
      entryPoints: [entry],
      outfile: file,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      mainFields: ['module', 'main'],
      // lib/lambda-function.ts's REQUIRE_SHIM, verbatim.
      banner: {
        js: "import { createRequire as __csPulseCreateRequire } from 'node:module'; const require = __csPulseCreateRequire(import.meta.url);",
      },
      tsconfig: path.join(REPO_ROOT, 'tsconfig.json'),
      absWorkingDir: REPO_ROOT,
      // The entry lives outside the repository: packages resolve from the repository's node_modules, as the stack's do.
      nodePaths: [path.join(REPO_ROOT, 'node_modules')],
      logLevel: 'warning',
    });
    bundles.push({ name, file, baseline: true });
  }
  return bundles;
}

/** The time a fresh `node` takes to import the bundle, measured inside that process, in milliseconds. */
async function importOnce(file: string): Promise<number> {
  // Outside the repository and with an empty environment: nothing resolves from node_modules, no AWS call.
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', LOAD_SCRIPT, pathToFileURL(file).href],
    { cwd: path.dirname(file), env: { PATH: process.env.PATH } },
  );
  return Number(stdout);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)}`;
const ratio = (value: number, base: number) => `${(value / base).toFixed(2)}×`;
const signedMs = (ms: number) => `${ms >= 0 ? '+' : '−'}${Math.abs(ms).toFixed(0)} ms`;

interface Measured extends Bundle {
  readonly bytes: number;
  readonly deflated: number;
  readonly loads: readonly number[];
  readonly importMs: number;
}

/** Each Lambda's bundle size and the time a fresh Node process takes to import it (its cold-start module load). */
export const bundlesSection: BenchSection = {
  name: 'bundles',
  title: 'Lambda bundles',
  async run({ quick, log }) {
    const outdir = await mkdtemp(path.join(tmpdir(), 'cs-pulse-bench-bundles-'));
    try {
      log('  bundling every Lambda with the stack (esbuild)…');
      const began = performance.now();
      const lambdas = await bundleEveryLambda(outdir);
      const bundleSeconds = (performance.now() - began) / 1000;
      log('  bundling the baselines (esbuild, the stack’s options)…');
      const bundles = [...(await bundleBaselines(outdir)), ...lambdas];

      const rounds = ROUNDS[quick ? 'quick' : 'full'];
      const loads = bundles.map((): number[] => []);
      for (let round = 0; round < rounds; round += 1) {
        // Every bundle once per round, starting one further along each round so none always runs first.
        for (let step = 0; step < bundles.length; step += 1) {
          const index = (round + step) % bundles.length;
          loads[index]!.push(await importOnce(bundles[index]!.file));
        }
        log(`  round ${round + 1}/${rounds} of imports done`);
      }

      const measured: Measured[] = [];
      for (const [index, bundle] of bundles.entries()) {
        const content = await readFile(bundle.file);
        const bundleLoads = loads[index]!;
        measured.push({
          ...bundle,
          bytes: (await stat(bundle.file)).size,
          deflated: deflateRawSync(content).length,
          loads: bundleLoads,
          importMs: median(bundleLoads),
        });
      }
      const base = measured.find((bundle) => bundle.name === CLIENT_BASELINE)!;
      const floor = measured.find((bundle) => bundle.baseline && bundle !== base)!;
      const lambdaRows = measured.filter((bundle) => !bundle.baseline);
      for (const bundle of measured) {
        log(
          `  ${bundle.name}: ${kib(bundle.bytes)} KiB (${ratio(bundle.bytes, base.bytes)}), import ${bundle.importMs.toFixed(0)} ms (${ratio(bundle.importMs, base.importMs)})`,
        );
      }

      const table: ResultTable = {
        columns: [
          'Lambda',
          'index.mjs KiB',
          'size ÷ baseline',
          'deflated KiB',
          'import ms (median)',
          'import ÷ baseline',
          'min',
          'max',
        ],
        rows: measured.map((bundle) => [
          bundle.baseline ? `_${bundle.name}_` : bundle.name,
          kib(bundle.bytes),
          ratio(bundle.bytes, base.bytes),
          kib(bundle.deflated),
          bundle.importMs.toFixed(0),
          ratio(bundle.importMs, base.importMs),
          Math.min(...bundle.loads).toFixed(0),
          Math.max(...bundle.loads).toFixed(0),
        ]),
      };
      const largest = lambdaRows.reduce((worst, row) => (row.bytes > worst.bytes ? row : worst));
      const slowest = lambdaRows.reduce((worst, row) => (row.importMs > worst.importMs ? row : worst));
      const smallest = lambdaRows.reduce((best, row) => (row.bytes < best.bytes ? row : best));
      const fastest = lambdaRows.reduce((best, row) => (row.importMs < best.importMs ? row : best));
      return {
        method: [
          `The CDK app is built with bundling on, so every Lambda is bundled exactly as \`cdk synth\` and \`cdk deploy\` bundle it (lib/lambda-function.ts: one minified ESM file, the AWS SDK inside, esbuild targeting Node 24); bundling all ${lambdas.length} took ${bundleSeconds.toFixed(0)} s here.`,
          `The baseline, in the same run: a minimal handler that only imports \`@aws-sdk/client-dynamodb\`, builds a \`DynamoDBClient\` at module scope and sends one \`GetItemCommand\` — the floor of any Lambda that talks to AWS. It is bundled with esbuild's API using the options the stack gives esbuild (mirrored in bench/bundles.ts: ESM, minify, target node24, mainFields module/main, the \`require\` shim banner, source map, the AWS SDK bundled). Every ratio column divides by it. A second baseline, a handler with no imports, bundled the same way, shows the floor of \`node\` importing a tiny ESM file.`,
          `For each bundle: the size of \`index.mjs\` (the source map beside it is not loaded unless an error is printed), its size deflated (about what the deployment zip holds), and the time a fresh \`node\` process takes to \`import()\` it, measured inside that process, ${rounds} processes per bundle, with an empty environment so no handler of the stack builds a client or calls AWS (the baseline builds its client: that needs no environment and makes no call). The imports are interleaved: ${rounds} rounds, each importing every bundle and both baselines once in a rotated order, so machine load affects the baselines and the Lambdas alike. This is the module-load part of a Lambda cold start (the runtime's own start and the first invocation come on top); it was measured on this machine's CPU, not on Lambda's arm64.`,
        ],
        tables: [table],
        findings: [
          `Against the baseline (${kib(base.bytes)} KiB, ${base.importMs.toFixed(0)} ms to import): the largest bundle, ${largest.name}, is ${ratio(largest.bytes, base.bytes)} its size (${kib(largest.bytes)} KiB); the slowest to import, ${slowest.name}, takes ${ratio(slowest.importMs, base.importMs)} its import time (${slowest.importMs.toFixed(0)} ms median). The smallest, ${smallest.name}, is ${ratio(smallest.bytes, base.bytes)} its size and the fastest, ${fastest.name}, ${ratio(fastest.importMs, base.importMs)} its import time.`,
          `Import time over the baseline (median minus the baseline's median), what each Lambda's own code and extra dependencies add to a cold start: ${lambdaRows.map((row) => `${row.name} ${signedMs(row.importMs - base.importMs)}`).join(', ')}.`,
          `The baseline itself: a handler with no imports takes ${floor.importMs.toFixed(1)} ms to import (${kib(floor.bytes)} KiB), so one DynamoDB client with its SDK core costs ${(base.importMs - floor.importMs).toFixed(0)} ms and ${kib(base.bytes - floor.bytes)} KiB of every Lambda that talks to AWS.`,
        ],
      };
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  },
};
