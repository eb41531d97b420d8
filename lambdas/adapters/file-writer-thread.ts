import { Worker } from 'node:worker_threads';

/** One file to put in place: written to `temporary`, then renamed to `target`, so no reader sees half of it. */
export interface FileToWrite {
  readonly target: string;
  readonly temporary: string;
  readonly body: string | Uint8Array;
}

// Plain JavaScript, evaluated in the worker: no TypeScript loader is needed there, under tsx or bundled.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const knownFolders = new Set();
function writeTemporary(temporary, body, folder) {
  try {
    fs.writeFileSync(temporary, body);
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
    // The folder was removed behind our back (someone cleared tables/ before a replay): make it again.
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(temporary, body);
  }
}
parentPort.on('message', ({ id, files }) => {
  const failures = [];
  files.forEach((file, index) => {
    try {
      const folder = path.dirname(file.target);
      if (!knownFolders.has(folder)) {
        fs.mkdirSync(folder, { recursive: true });
        knownFolders.add(folder);
      }
      writeTemporary(file.temporary, file.body, folder);
      fs.renameSync(file.temporary, file.target);
    } catch (error) {
      failures.push({ index, message: String(error && error.message), code: error && error.code });
      try {
        fs.rmSync(file.temporary, { force: true });
      } catch {}
    }
  });
  parentPort.postMessage({ id, failures });
});
`;

interface Reply {
  readonly id: number;
  readonly failures: readonly { index: number; message: string; code?: string }[];
}

interface Waiting {
  readonly resolve: (errors: (Error | undefined)[]) => void;
  readonly reject: (error: unknown) => void;
  readonly count: number;
}

/**
 * Writes files on a thread of its own, with synchronous calls, one message per batch. Through the libuv pool each
 * file costs four round trips (open, write, close, rename), each a promise and a callback on the event loop and a
 * wake-up of a pool thread; here the event loop pays one message for the whole batch. Batches are written in the
 * order they are sent, so a later write of a key always lands after an earlier one.
 */
export class FileWriterThread {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, Waiting>();

  /** Writes every file; resolves with each file's error (undefined when it was written), in order. */
  write(files: readonly FileToWrite[]): Promise<(Error | undefined)[]> {
    if (files.length === 0) return Promise.resolve([]);
    const worker = this.started();
    const id = ++this.nextId;
    // Referenced only while it has work, so an idle writer never keeps the process alive.
    if (this.waiting.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, count: files.length });
      worker.postMessage({ id, files });
    });
  }

  /** Stops the thread; the caller has waited for the batches it sent. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const waiting = this.waiting.get(reply.id);
      if (!waiting) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      const errors: (Error | undefined)[] = new Array(waiting.count).fill(undefined);
      for (const failure of reply.failures) {
        errors[failure.index] = Object.assign(new Error(failure.message), { code: failure.code });
      }
      waiting.resolve(errors);
    });
    const fail = (error: unknown) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiting of this.waiting.values()) waiting.reject(error);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the file writer thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}
