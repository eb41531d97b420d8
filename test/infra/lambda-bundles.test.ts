import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCsPulse } from '../../lib/app.js';
import type { CsPulseStack } from '../../lib/cs-pulse-stack.js';
import { bundledQueryFiles } from '../../lib/kpi-aggregation.js';
import { CsPulseFunction, PROJECT_ROOT } from '../../lib/lambda-function.js';
import { webhookEvent } from '../support/api-gateway-events.js';
import { surveyEvent } from '../support/events.js';
import { standardWebhooksHeaders } from '../support/standard-webhooks.js';
import { testApp } from './support/cdk-app.js';

const run = promisify(execFile);
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/**
 * The one test that really bundles: esbuild builds the ingest Lambda as `cdk deploy` would, and the bundle is then
 * run on its own, copied away from the repository so nothing can be resolved from node_modules.
 */
// One bundled synth for the whole file: esbuild builds every Lambda of the stack, as `cdk deploy` does.
const app = testApp({ sourceConfig: 'test/fixtures/cs-pulse.config.json' }, { bundle: true });
const stack: CsPulseStack = addCsPulse(app);
const bundleOf = (fn: CsPulseFunction) =>
  path.join(app.outdir, (fn.node.findChild('Code') as Asset).assetPath);

/** Copies a bundle away from the repository, so nothing can be resolved from node_modules. */
async function isolatedCopy(fn: CsPulseFunction): Promise<{ work: string; bundleDir: string }> {
  const work = await mkdtemp(path.join(tmpdir(), 'cs-pulse-bundle-'));
  const bundleDir = path.join(work, 'task');
  await cp(bundleOf(fn), bundleDir, { recursive: true });
  return { work, bundleDir };
}

describe('every Lambda of the stack', () => {
  const functions = stack.node
    .findAll()
    .filter((node): node is CsPulseFunction => node instanceof CsPulseFunction);

  it('bundles into one ESM file with its source map', async () => {
    expect(functions.length).toBe(9);
    for (const fn of functions) {
      const files = await readdir(bundleOf(fn));
      expect(files, fn.node.path).toEqual(expect.arrayContaining(['index.mjs', 'index.mjs.map']));
    }
  });
});

describe('the bundled aggregation Lambda', () => {
  let work: string;
  let bundleDir: string;

  beforeAll(async () => {
    ({ work, bundleDir } = await isolatedCopy(stack.aggregation.function));
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('carries every .sql file of queries/ as it is in the repository', async () => {
    for (const [destination, source] of Object.entries(bundledQueryFiles())) {
      expect(await readFile(path.join(bundleDir, destination), 'utf8')).toBe(
        await readFile(path.join(PROJECT_ROOT, source), 'utf8'),
      );
    }
  });

  it('imports cleanly outside the repository and names the setting it lacks', async () => {
    const script = `
      const { handler } = await import(${JSON.stringify(path.join(bundleDir, 'index.mjs'))});
      try { await handler({ mode: 'incremental' }); } catch (error) { process.stdout.write(String(error.message)); }
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: work,
      env: { PATH: process.env.PATH, CS_PULSE_QUERIES_DIR: path.join(bundleDir, 'queries') },
    });
    expect(stdout).toMatch(/invalid settings/);
    expect(stdout).toContain('CS_PULSE_LAKE_BUCKET');
  });
});

describe('the bundled ingest Lambda', () => {
  let work: string;
  let bundleDir: string;

  beforeAll(async () => {
    ({ work, bundleDir } = await isolatedCopy(stack.ingest.function));
  }, 120_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('is one ESM file with its source map and the mapping config beside it', async () => {
    expect((await readdir(bundleDir)).sort()).toEqual(['cs-pulse.config.json', 'index.mjs', 'index.mjs.map']);
    expect(JSON.parse(await readFile(path.join(bundleDir, 'cs-pulse.config.json'), 'utf8'))).toEqual({
      sources: { generic: {} },
    });
  });

  it('carries the AWS SDK inside: it imports nothing but Node built-ins', async () => {
    const code = await readFile(path.join(bundleDir, 'index.mjs'), 'utf8');
    // `import … from "x"` and `import("x")`, with no quote between `import` and `from` (so a string that happens
    // to end in "from" is not mistaken for an import).
    const imported = [...code.matchAll(/(?:\bimport\b[^;"]*?\bfrom\s*|\bimport\s*\(\s*)"([^"]+)"/g)].map(
      (match) => match[1]!,
    );

    expect(imported.length).toBeGreaterThan(0);
    expect(imported.filter((specifier) => !specifier.startsWith('node:'))).toEqual([]);
    expect(code).toContain('PutObject');
    expect(code).toContain('GetSecretValue');
  });

  it('imports cleanly and answers a signed delivery, run by plain Node outside the repository', async () => {
    const body = JSON.stringify(surveyEvent('evt_bundle', 'acct_9', 'csat', 4, '2026-05-01T09:00:00Z'));
    const receivedAt = new Date();
    const event = webhookEvent(
      'generic',
      body,
      standardWebhooksHeaders(SECRET, body, { id: 'msg_bundle' }),
      receivedAt,
    );
    const home = path.join(work, 'home');
    const script = `
      const { handler } = await import(${JSON.stringify(path.join(bundleDir, 'index.mjs'))});
      const response = await handler(JSON.parse(process.argv[1]), { awsRequestId: 'bundle-test' });
      process.stdout.write('RESPONSE ' + JSON.stringify(response) + '\\n');
    `;

    const { stdout } = await run(
      process.execPath,
      ['--input-type=module', '-e', script, JSON.stringify(event)],
      {
        cwd: work,
        env: {
          PATH: process.env.PATH,
          CS_PULSE_HOME: home,
          CS_PULSE_SECRET_GENERIC: SECRET,
          CS_PULSE_CONFIG: path.join(bundleDir, 'cs-pulse.config.json'),
        },
      },
    );

    const lines = stdout.trim().split('\n');
    const response = JSON.parse(
      lines.find((line) => line.startsWith('RESPONSE '))!.slice('RESPONSE '.length),
    ) as { statusCode: number; body: string };
    expect(response.statusCode).toBe(202);
    // Powertools bundled and working: the invocation's metrics, one embedded-metric-format line on stdout.
    const metrics = lines.filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line));
    expect(metrics).toEqual([expect.objectContaining({ WebhookEventsAccepted: 1, source: 'generic' })]);
    expect(JSON.parse(response.body)).toMatchObject({ accepted: 1, delivery_id: 'msg_bundle' });
    const archived = await readdir(path.join(home, 'lake', 'raw', 'source=generic'), { recursive: true });
    expect(archived.some((file) => file.endsWith('.json'))).toBe(true);
  });
});
