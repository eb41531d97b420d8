import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCsPulse } from '../../lib/app.js';
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
describe('the bundled ingest Lambda', () => {
  let work: string;
  let bundleDir: string;

  beforeAll(async () => {
    const app = testApp({ sourceConfig: 'test/fixtures/cs-pulse.config.json' }, { bundle: true });
    const stack = addCsPulse(app);
    const asset = stack.ingest.function.node.findChild('Code') as Asset;
    work = await mkdtemp(path.join(tmpdir(), 'cs-pulse-bundle-'));
    bundleDir = path.join(work, 'task');
    await cp(path.join(app.outdir, asset.assetPath), bundleDir, { recursive: true });
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
      process.stdout.write(JSON.stringify(response));
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

    const response = JSON.parse(stdout) as { statusCode: number; body: string };
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toMatchObject({ accepted: 1, delivery_id: 'msg_bundle' });
    const archived = await readdir(path.join(home, 'lake', 'raw', 'source=generic'), { recursive: true });
    expect(archived.some((file) => file.endsWith('.json'))).toBe(true);
  });
});
