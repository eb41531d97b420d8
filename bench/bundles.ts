import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { REPO_ROOT } from '../test/support/server-process.js';
import type { BenchSection, ResultTable } from './section.js';

const run = promisify(execFile);

/** Fresh processes per bundle: the first import of a module in a process is what a Lambda cold start pays. */
const LOADS = { full: 7, quick: 2 } as const;

/** Imports the bundle in a new `node` and prints how long the import took, in milliseconds. */
const LOAD_SCRIPT = `
const started = performance.now();
await import(process.argv[1]);
process.stdout.write(String(performance.now() - started));
`;

interface Bundle {
  readonly name: string;
  readonly file: string;
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

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)}`;

/** Each Lambda's bundle size and the time a fresh Node process takes to import it (its cold-start module load). */
export const bundlesSection: BenchSection = {
  name: 'bundles',
  title: 'Lambda bundles',
  async run({ quick, log }) {
    const outdir = await mkdtemp(path.join(tmpdir(), 'cs-pulse-bench-bundles-'));
    try {
      log('  bundling every Lambda with the stack (esbuild)…');
      const began = performance.now();
      const bundles = await bundleEveryLambda(outdir);
      const bundleSeconds = (performance.now() - began) / 1000;
      const rows: string[][] = [];
      for (const bundle of bundles) {
        const bytes = (await stat(bundle.file)).size;
        const deflated = deflateRawSync(await readFile(bundle.file)).length;
        const loads: number[] = [];
        for (let attempt = 0; attempt < LOADS[quick ? 'quick' : 'full']; attempt += 1) {
          // Outside the repository and with an empty environment: nothing resolves from node_modules, no AWS call.
          const { stdout } = await run(
            process.execPath,
            ['--input-type=module', '-e', LOAD_SCRIPT, pathToFileURL(bundle.file).href],
            { cwd: path.dirname(bundle.file), env: { PATH: process.env.PATH } },
          );
          loads.push(Number(stdout));
        }
        log(`  ${bundle.name}: ${kib(bytes)} KiB, import ${median(loads).toFixed(0)} ms`);
        rows.push([
          bundle.name,
          kib(bytes),
          kib(deflated),
          median(loads).toFixed(0),
          Math.min(...loads).toFixed(0),
          Math.max(...loads).toFixed(0),
        ]);
      }
      const table: ResultTable = {
        columns: ['Lambda', 'index.mjs KiB', 'deflated KiB', 'import ms (median)', 'min', 'max'],
        rows,
      };
      const slowest = rows.reduce(
        (worst, row) => (Number(row[3]) > Number(worst[3]) ? row : worst),
        rows[0]!,
      );
      const largest = rows.reduce(
        (worst, row) => (Number(row[1]) > Number(worst[1]) ? row : worst),
        rows[0]!,
      );
      return {
        method: [
          `The CDK app is built with bundling on, so every Lambda is bundled exactly as \`cdk synth\` and \`cdk deploy\` bundle it (lib/lambda-function.ts: one minified ESM file, the AWS SDK inside, esbuild targeting Node 24); bundling all ${bundles.length} took ${bundleSeconds.toFixed(0)} s here.`,
          `For each bundle: the size of \`index.mjs\` (the source map beside it is not loaded unless an error is printed), its size deflated (about what the deployment zip holds), and the time a fresh \`node\` process takes to \`import()\` it, measured inside that process, ${LOADS[quick ? 'quick' : 'full']} processes per bundle, with an empty environment so no handler builds a client or calls AWS. This is the module-load part of a Lambda cold start (the runtime's own start and the first invocation come on top); it was measured on this machine's CPU, not on Lambda's arm64.`,
        ],
        tables: [table],
        findings: [
          `The largest bundle is ${largest[0]} (${largest[1]} KiB); the slowest to import is ${slowest[0]} (${slowest[3]} ms median).`,
        ],
      };
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  },
};
