import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root, where `bin/cs-pulse.ts` and `node_modules` are. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr), for failure messages. */
  output(): string;
  /** Sends a signal and resolves when the process is gone. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

export interface ServerProcessOptions {
  readonly home: string;
  readonly env?: Record<string, string>;
  /** Extra `node` flags, such as `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
  /** @default 30 s */
  readonly startTimeoutMs?: number;
}

/**
 * `cs-pulse start` as its own process, on a free loopback port (the start banner names it). It runs as
 * `node --import tsx` rather than through the `tsx` CLI, which would keep the server in a grandchild: a signal sent
 * here reaches the server itself, so SIGKILL is a real crash of the process that holds the journal.
 */
export function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  return startNodeProcess({
    script: 'bin/cs-pulse.ts',
    args: ['start'],
    readyPattern: /cs-pulse is serving on (http:\/\/\S+)/,
    ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
    ...(options.startTimeoutMs ? { startTimeoutMs: options.startTimeoutMs } : {}),
    env: {
      CS_PULSE_HOME: options.home,
      HOST: '127.0.0.1',
      PORT: '0',
      CS_PULSE_AGGREGATE_INTERVAL_SECONDS: '0',
      ...options.env,
    },
  });
}

export interface NodeProcessOptions {
  /** A TypeScript entry point, relative to the repository root. */
  readonly script: string;
  readonly args?: readonly string[];
  readonly env?: Record<string, string>;
  readonly nodeArgs?: readonly string[];
  /** The line that says the process serves; its first group is the URL. */
  readonly readyPattern: RegExp;
  readonly startTimeoutMs?: number;
}

/** A TypeScript program in its own `node --import tsx` process, resolved once it prints its URL. */
export async function startNodeProcess(options: NodeProcessOptions): Promise<ServerProcess> {
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), '--import', 'tsx', options.script, ...(options.args ?? [])],
    { cwd: REPO_ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    output += text;
  });
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    output += text;
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.script} did not start within ${startTimeoutMs} ms:\n${output}`));
    }, startTimeoutMs);
    const onData = () => {
      const match = options.readyPattern.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      resolve(match[1]!);
    };
    const onExit = (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      reject(
        new Error(`${options.script} exited before serving (code ${code}, signal ${signal}):\n${output}`),
      );
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });

  return {
    url,
    child,
    output: () => output,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
