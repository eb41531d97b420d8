import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { REPO_ROOT } from '../test/support/server-process.js';

export interface WorkerOptions {
  /** Stop the process (SIGKILL) after this long; the outcome then has no result. */
  readonly timeoutMs?: number;
  /** Each line the process prints on stdout, as it comes (progress, timings so far). */
  readonly onLine?: (line: string) => void;
}

export interface WorkerOutcome<T> {
  /** The JSON of its `RESULT ` line; undefined when it was stopped first. */
  readonly result: T | undefined;
  readonly timedOut: boolean;
  readonly elapsedMs: number;
  /** Its peak resident memory (VmHWM) when it was stopped, in MiB; only for a stopped process. */
  readonly peakRssMiB: number | undefined;
}

/**
 * Runs a bench TypeScript program in its own `node --import tsx` process and returns the JSON it prints on its
 * `RESULT ` line, so each measurement has a process, a heap and a peak RSS of its own. A process that outlives its
 * time budget is killed; its progress lines say how far it got.
 */
export function runWorker<T>(
  script: string,
  args: readonly string[],
  options: WorkerOptions = {},
): Promise<WorkerOutcome<T>> {
  const began = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: REPO_ROOT,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let pending = '';
  let result: T | undefined;
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('RESULT ')) result = JSON.parse(line.slice('RESULT '.length)) as T;
      else options.onLine?.(line);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  let timedOut = false;
  let peakRssMiB: number | undefined;
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          peakRssMiB = peakRssOf(child.pid);
          child.kill('SIGKILL');
        }, options.timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      const elapsedMs = performance.now() - began;
      if (timedOut) resolve({ result: undefined, timedOut, elapsedMs, peakRssMiB });
      else if (code === 0 && result !== undefined) resolve({ result, timedOut, elapsedMs, peakRssMiB });
      else
        reject(new Error(`${script} ${args.join(' ')} failed (code ${code}, signal ${signal}):\n${stderr}`));
    });
  });
}

/** The kernel's high-water mark of a running process's resident memory, in MiB (Linux). */
function peakRssOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
