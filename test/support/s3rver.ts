import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { S3Client } from '@aws-sdk/client-s3';

export interface LocalS3 {
  /** A client addressed to the local server (path-style, its fixed credentials). */
  readonly client: S3Client;
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * s3rver's own process: it makes ListObjectsV2 continuation tokens with DES, which Node's OpenSSL 3 provides only
 * with the legacy provider, so it runs in a child started with that flag rather than in the test process.
 */
const CHILD_SCRIPT = `
const S3rver = require(process.argv[1]);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[2] });
server.run().then((address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\\n'));
const stop = () => server.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.stdin.on('end', stop); // the test process went away: do not outlive it
process.stdin.resume();
`;

/** Starts a local S3 API (s3rver) on 127.0.0.1, a free port and a temporary folder. */
export async function startLocalS3(): Promise<LocalS3> {
  const directory = await mkdtemp(path.join(tmpdir(), 'cs-pulse-s3rver-'));
  const s3rverMain = createRequire(import.meta.url).resolve('s3rver');
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '-e', CHILD_SCRIPT, s3rverMain, directory],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const port = await firstLine(child).then((line) => (JSON.parse(line) as { port: number }).port);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  return {
    client,
    endpoint,
    async stop() {
      client.destroy();
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      lines.close();
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited with code ${code} before listening`)));
    child.once('error', reject);
  });
}
