import { execFile as execFileCallback } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  close as closeCallback,
  constants as fsConstants,
  fsync as fsyncCallback,
  open as openCallback,
  writeFile as writeFileCallback,
} from 'node:fs';
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import type { ListedObject, ObjectStore, StoredObject } from '../ports/object-store.js';
import { forEachBounded } from '../runtime/bounded-concurrency.js';
import { FileWriterThread } from './file-writer-thread.js';

/**
 * How writes reach stable storage.
 * - `journal`: the server's hot path. Concurrent writes are appended to one write-ahead journal and made durable by a
 *   single fdatasync (group commit), then written to their keys. Recovery on open re-applies what the journal holds,
 *   so an acknowledged write survives a crash even if its key file had not reached the disk.
 * - `fsync`: every object is fsynced with its folder before the write resolves. Simple and slow; for tools.
 * - `none`: no fsync at all, for data that can be rebuilt (replay output, benchmark fixtures); call `sync()` at the end.
 */
export type Durability = 'journal' | 'fsync' | 'none';

/** Files listObjects stats at once. */
const STAT_PAGE = 256;

export interface LocalDiskObjectStoreOptions {
  /** The folder that stands in for the bucket. */
  readonly root: string;
  /** @default 'fsync' */
  readonly durability?: Durability;
  /** Where the journal lives when durability is `journal`. @default `${root}/../journal` */
  readonly journalDir?: string;
  /** Journal size that triggers a checkpoint. @default 8 MiB */
  readonly checkpointBytes?: number;
  /** Longest time a non-empty journal waits for a checkpoint. @default 2000 ms */
  readonly checkpointIntervalMs?: number;
  /**
   * Journal mode only: objects that need no file of their own. Creating a file costs far more than writing its bytes
   * (on ext4 without a journal, hundreds of microseconds of kernel time), so the objects of one group committed in one
   * journal segment are written together, as one file, when that segment is checkpointed. Such a write is durable
   * once it resolves, like any other, but readers see it only after the checkpoint (`sync()` forces one), and a later
   * write of the same key replaces the earlier one only within a segment.
   */
  readonly merge?: MergePolicy;
}

/** Which objects share a file, and that file's key (see `LocalDiskObjectStoreOptions.merge`). */
export interface MergePolicy {
  /** The group an object joins, or undefined for an object that keeps a file of its own. */
  groupOf(key: string): string | undefined;
  /**
   * The key of one group's file. The digest is of the file's bytes, so re-applying a segment after a crash rewrites
   * the same file instead of adding a copy of its rows beside it.
   */
  keyOf(group: string, digest: string): string;
}

/** The objects of each group in one segment, by key, in commit order (a rewrite of a key replaces its bytes). */
type MergedObjects = Map<string, Map<string, string | Uint8Array>>;

interface PendingWrite {
  readonly objects: readonly StoredObject[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const RECORD_HEADER_BYTES = 8; // uint32 length + uint32 crc32 of the payload

/** An object store on local disk with the same key layout as the S3 bucket. */
export class LocalDiskObjectStore implements ObjectStore {
  readonly root: string;
  private readonly durability: Durability;
  private readonly journalDir: string;
  private readonly checkpointBytes: number;
  private readonly checkpointIntervalMs: number;
  private readonly merge: MergePolicy | undefined;
  private tmpCounter = 0;
  /** The merged objects of the segment being appended to; written when it is checkpointed. */
  private mergedInSegment: MergedObjects = new Map();

  private journal: FileHandle | undefined;
  private journalSegment = 0;
  private journalBytes = 0;
  private pending: PendingWrite[] = [];
  private flushing: Promise<void> | undefined;
  /** Files written since the last checkpoint: they become durable on their own only when the checkpoint fsyncs them. */
  private unsyncedPaths = new Set<string>();
  private checkpointTimer: NodeJS.Timeout | undefined;
  private checkpointRunning: Promise<void> = Promise.resolve();
  /** Writes the key files of committed batches, in commit order, so the last write of a key wins. */
  private readonly fileWriter = new FileWriterThread();
  /** Every committed write whose key files are still being written; a checkpoint waits for them. */
  private readonly applying = new Set<Promise<void>>();
  /** Folders known to exist, so the hot path skips a mkdir per file. */
  private readonly knownFolders = new Set<string>();
  private rotateRequested = false;
  private closed = false;

  private constructor(options: LocalDiskObjectStoreOptions) {
    this.root = path.resolve(options.root);
    this.durability = options.durability ?? 'fsync';
    this.journalDir = path.resolve(options.journalDir ?? path.join(this.root, '..', 'journal'));
    this.checkpointBytes = options.checkpointBytes ?? 8 * 1024 * 1024;
    this.checkpointIntervalMs = options.checkpointIntervalMs ?? 2000;
    this.merge = this.durability === 'journal' ? options.merge : undefined;
  }

  /** Opens the store; in journal mode this first recovers whatever an earlier process acknowledged but left behind. */
  static async open(options: LocalDiskObjectStoreOptions): Promise<LocalDiskObjectStore> {
    const store = new LocalDiskObjectStore(options);
    await mkdir(store.root, { recursive: true });
    if (store.durability === 'journal') await store.openJournal();
    return store;
  }

  async putObjects(objects: readonly StoredObject[]): Promise<void> {
    if (this.closed) throw new Error('object store is closed');
    for (const object of objects) this.pathOf(object.key); // reject bad keys before anything is written
    if (objects.length === 0) return;
    if (this.durability !== 'journal') {
      await Promise.all(objects.map((object) => this.writeObjectFile(object, this.durability === 'fsync')));
      return;
    }
    await new Promise<void>((resolve, reject) => {
      this.pending.push({ objects, resolve, reject });
      void this.kickFlush();
    });
  }

  async getObject(key: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async *listObjects(prefix: string): AsyncIterable<ListedObject> {
    // Walk only the deepest folder the prefix names, then filter by the rest of the prefix.
    const slash = prefix.lastIndexOf('/');
    const folderKey = slash >= 0 ? prefix.slice(0, slash) : '';
    const keys = (await this.walk(folderKey)).filter((key) => key.startsWith(prefix)).sort();
    // One stat at a time costs a round trip to the libuv pool each (7.4 s for the 137k files of a 10M-event lake);
    // a page of them at once keeps the pool's threads busy, and the keys still come out in order.
    for (let start = 0; start < keys.length; start += STAT_PAGE) {
      const page = keys.slice(start, start + STAT_PAGE);
      const infos = await Promise.all(
        page.map((key) =>
          stat(this.pathOf(key)).catch((error: unknown) => {
            if (isNotFound(error)) return undefined; // deleted while listing: skip it
            throw error;
          }),
        ),
      );
      for (const [index, info] of infos.entries()) {
        if (info) yield { key: page[index]!, size: info.size, lastModified: info.mtime };
      }
    }
  }

  async deleteObjects(keys: readonly string[]): Promise<void> {
    await Promise.all(
      keys.map(async (key) => {
        await rm(this.pathOf(key), { force: true });
        this.unsyncedPaths.delete(this.pathOf(key));
      }),
    );
  }

  /** Makes everything written so far durable (for `none` durability, after a bulk write). */
  async sync(): Promise<void> {
    if (this.durability === 'journal') {
      await this.checkpoint();
      return;
    }
    await fsyncTree(this.root);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flushing;
    await Promise.all(this.applying);
    if (this.checkpointTimer) clearTimeout(this.checkpointTimer);
    if (this.journal) {
      await this.checkpoint();
      await this.journal.close();
      this.journal = undefined;
      await this.fileWriter.close();
      await rm(this.lockPath(), { force: true });
    }
  }

  /** Absolute path of a key; rejects keys that would escape the root. */
  pathOf(key: string): string {
    if (
      key === '' ||
      key.startsWith('/') ||
      key.split('/').some((part) => part === '..' || part === '.' || part === '')
    ) {
      throw new Error(`invalid object key: ${JSON.stringify(key)}`);
    }
    return path.join(this.root, key);
  }

  // --- journal -----------------------------------------------------------------------------------------------------

  private lockPath(): string {
    return path.join(this.journalDir, 'LOCK');
  }

  private async openJournal(): Promise<void> {
    await mkdir(this.journalDir, { recursive: true });
    await this.acquireLock();
    await this.removeTemporariesOfDeadWriters();
    const segments = await this.journalSegments();
    for (const segment of segments) await this.recoverSegment(segment);
    if (this.unsyncedPaths.size > 0) await this.fsyncPaths([...this.unsyncedPaths]);
    this.unsyncedPaths.clear();
    for (const segment of segments) await unlink(path.join(this.journalDir, segment));
    this.journalSegment = segments.length > 0 ? segmentNumber(segments[segments.length - 1]!) + 1 : 1;
    await this.openSegment();
  }

  /** One server per home: a second one would interleave journals. A lock left by a killed process is taken over. */
  private async acquireLock(): Promise<void> {
    try {
      const handle = await open(
        this.lockPath(),
        fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY,
      );
      await handle.writeFile(String(process.pid));
      await handle.close();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(await readFile(this.lockPath(), 'utf8').catch(() => ''), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isProcessAlive(holder)) {
        throw new Error(
          `the lake at ${this.root} is in use by process ${holder} (lock ${this.lockPath()}); stop it or use another CS_PULSE_HOME`,
        );
      }
      await writeFile(this.lockPath(), String(process.pid));
    }
  }

  /**
   * A writer killed between creating a temporary file and renaming it leaves the temporary behind, and nothing else
   * would ever remove it. Temporaries of live processes (a replay running beside the server) are theirs to finish.
   */
  private async removeTemporariesOfDeadWriters(): Promise<void> {
    const entries = await readdir(this.root, { recursive: true, withFileTypes: true });
    const leftovers = entries.filter((entry) => {
      const writer = TEMPORARY_NAME.exec(entry.name);
      if (!writer || !entry.isFile()) return false;
      const pid = Number(writer[1]);
      return pid !== process.pid && !isProcessAlive(pid);
    });
    await forEachBounded(leftovers, 8, (entry) =>
      rm(path.join(entry.parentPath, entry.name), { force: true }),
    );
  }

  private async journalSegments(): Promise<string[]> {
    const names = await readdir(this.journalDir);
    return names.filter((name) => /^\d{12}\.log$/.test(name)).sort();
  }

  private async recoverSegment(segment: string): Promise<void> {
    const bytes = await readFile(path.join(this.journalDir, segment));
    const merged: MergedObjects = new Map();
    let offset = 0;
    while (offset + RECORD_HEADER_BYTES <= bytes.length) {
      const length = bytes.readUInt32LE(offset);
      const checksum = bytes.readUInt32LE(offset + 4);
      const start = offset + RECORD_HEADER_BYTES;
      if (start + length > bytes.length) break; // torn tail: that write was never acknowledged
      const payload = bytes.subarray(start, start + length);
      if (crc32(payload) !== checksum) break;
      for (const object of decodeRecord(payload)) {
        if (!this.addToMerged(merged, object)) await this.writeObjectFile(object, false);
      }
      offset = start + length;
    }
    // The same records in the same order as when the segment was written: the same files, byte for byte.
    await this.writeMerged(merged);
  }

  private async openSegment(): Promise<void> {
    const name = `${String(this.journalSegment).padStart(12, '0')}.log`;
    this.journal = await open(path.join(this.journalDir, name), 'a');
    this.journalBytes = 0;
    await fsyncDirectory(this.journalDir);
  }

  private kickFlush(): Promise<void> {
    this.flushing ??= this.flushLoop();
    return this.flushing;
  }

  /**
   * The only code that touches the journal file. Group commit: everything queued while the previous fdatasync ran
   * goes out in the next single write + fdatasync. Rotation happens here too, between batches, never during one.
   */
  private async flushLoop(): Promise<void> {
    await null; // always yield once, so `flushing` is set before the loop can finish
    try {
      while (this.pending.length > 0 || this.rotateRequested) {
        const batch = this.pending;
        this.pending = [];
        if (batch.length > 0) await this.commitBatch(batch);
        if (this.rotateRequested || this.journalBytes >= this.checkpointBytes) {
          this.rotateRequested = false;
          await this.rotate();
        }
      }
    } finally {
      this.flushing = undefined;
    }
    if (this.journalBytes > 0 && !this.checkpointTimer && !this.closed) {
      this.checkpointTimer = setTimeout(() => {
        this.checkpointTimer = undefined;
        void this.checkpoint().catch((error) => console.error('journal checkpoint failed', error));
      }, this.checkpointIntervalMs);
      this.checkpointTimer.unref();
    }
  }

  /**
   * Appends a batch to the journal and makes it durable. Its key files are then written without their own fsync, and
   * without holding up the loop: the next batch's fdatasync overlaps them. They go to the file writer thread in one
   * message; each write resolves once its own files are in place, so a caller still reads what it wrote (merged
   * objects excepted: they are read from the checkpoint on).
   */
  private async commitBatch(batch: readonly PendingWrite[]): Promise<void> {
    try {
      const records = batch.map((write) => encodeRecord(write.objects));
      const journal = this.journal!;
      await journal.writev(records);
      await journal.datasync();
      this.journalBytes += records.reduce((sum, record) => sum + record.length, 0);
    } catch (error) {
      for (const write of batch) write.reject(error);
      return;
    }
    // Merged objects join their segment's files now, synchronously, so the segment rotated next holds all of them.
    const ownFiles = batch.map((write) =>
      write.objects.filter((object) => !this.addToMerged(this.mergedInSegment, object)),
    );
    const files = ownFiles.flat().map((object) => {
      const target = this.pathOf(object.key);
      this.unsyncedPaths.add(target);
      return { target, temporary: this.temporaryOf(target), body: object.body };
    });
    const applied = this.fileWriter.write(files).then(
      (errors) => {
        let next = 0;
        for (const [index, write] of batch.entries()) {
          const own = errors.slice(next, next + ownFiles[index]!.length);
          next += own.length;
          const error = own.find((candidate) => candidate !== undefined);
          if (error) write.reject(error);
          else write.resolve();
        }
      },
      (error: unknown) => {
        for (const write of batch) write.reject(error);
      },
    );
    this.applying.add(applied);
    void applied.finally(() => this.applying.delete(applied));
  }

  /** Starts a new segment and, in the background, retires the old ones once their files are on disk. */
  private async rotate(): Promise<void> {
    const retired = await this.journalSegments();
    await this.journal?.close();
    const merged = this.mergedInSegment;
    this.mergedInSegment = new Map();
    this.journalSegment += 1;
    await this.openSegment();
    // Every write the retired segments hold is among these (or already in place).
    const applying = [...this.applying];
    const previous = this.checkpointRunning;
    this.checkpointRunning = (async () => {
      await previous;
      await Promise.all(applying);
      await this.writeMerged(merged);
      const paths = [...this.unsyncedPaths];
      this.unsyncedPaths.clear();
      await this.fsyncPaths(paths);
      for (const segment of retired) await rm(path.join(this.journalDir, segment), { force: true });
    })();
    this.checkpointRunning.catch((error) => console.error('journal checkpoint failed', error));
  }

  /** Adds an object to its group, when it has one; false when it needs a file of its own. */
  private addToMerged(merged: MergedObjects, object: StoredObject): boolean {
    const group = this.merge?.groupOf(object.key);
    if (group === undefined) return false;
    let objects = merged.get(group);
    if (!objects) {
      objects = new Map();
      merged.set(group, objects);
    }
    // Deleted first, so a rewritten key moves to the end, as if its earlier write had never been.
    objects.delete(object.key);
    objects.set(object.key, object.body);
    return true;
  }

  private async writeMerged(merged: MergedObjects): Promise<void> {
    const merge = this.merge;
    if (!merge) return;
    await forEachBounded([...merged.entries()], 8, async ([group, objects]) => {
      const body = Buffer.concat([...objects.values()].map((part) => Buffer.from(part)));
      const digest = createHash('sha256').update(body).digest('hex').slice(0, 32);
      await this.writeObjectFile({ key: merge.keyOf(group, digest), body }, false);
    });
  }

  private async checkpoint(): Promise<void> {
    if (this.journal && this.journalBytes > 0) {
      this.rotateRequested = true;
      await this.kickFlush();
    }
    await this.checkpointRunning;
  }

  private async fsyncPaths(paths: readonly string[]): Promise<void> {
    if (paths.length >= SYNCFS_THRESHOLD && (await syncFileSystem(this.root))) return;
    const folders = new Set<string>();
    await forEachBounded(paths, 8, async (filePath) => {
      folders.add(path.dirname(filePath));
      await fsyncFile(filePath);
    });
    await forEachBounded([...folders], 8, fsyncDirectory);
  }

  // --- files -------------------------------------------------------------------------------------------------------

  private async writeObjectFile(object: StoredObject, durable: boolean): Promise<void> {
    const target = this.pathOf(object.key);
    const folder = path.dirname(target);
    if (!this.knownFolders.has(folder)) {
      await mkdir(folder, { recursive: true });
      this.knownFolders.add(folder);
    }
    // Write beside the target and rename over it, so a reader (DuckDB, replay) never sees half a file.
    const temporary = this.temporaryOf(target);
    try {
      await writeTemporary(temporary, object.body, durable);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      // The folder was removed behind our back (someone cleared tables/ before a replay): make it again.
      await mkdir(folder, { recursive: true });
      await writeTemporary(temporary, object.body, durable);
    }
    await rename(temporary, target);
    if (durable) await fsyncDirectory(folder);
    else if (this.durability === 'journal') this.unsyncedPaths.add(target);
  }

  private temporaryOf(target: string): string {
    return `${target}.tmp-${process.pid}-${++this.tmpCounter}`;
  }

  private async walk(folderKey: string): Promise<string[]> {
    const base = folderKey === '' ? this.root : this.pathOf(folderKey);
    let entries: string[];
    try {
      entries = (await readdir(base, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile() && !entry.name.includes('.tmp-'))
        .map((entry) =>
          path.relative(this.root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'),
        );
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    return entries;
  }
}

function encodeRecord(objects: readonly StoredObject[]): Buffer {
  const payload = Buffer.from(
    JSON.stringify(
      objects.map((object) =>
        typeof object.body === 'string'
          ? { key: object.key, text: object.body }
          : { key: object.key, base64: Buffer.from(object.body).toString('base64') },
      ),
    ),
  );
  const header = Buffer.alloc(RECORD_HEADER_BYTES);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

function decodeRecord(payload: Buffer): StoredObject[] {
  const entries = JSON.parse(payload.toString('utf8')) as { key: string; text?: string; base64?: string }[];
  return entries.map((entry) => ({
    key: entry.key,
    body: entry.text ?? Buffer.from(entry.base64 ?? '', 'base64'),
  }));
}

function segmentNumber(name: string): number {
  return Number.parseInt(name.slice(0, 12), 10);
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `<target>.tmp-<pid>-<n>`: the temporary a process writes before renaming it to its key. */
const TEMPORARY_NAME = /\.tmp-(\d+)-\d+$/;

/** From this many files on, one syncfs of the whole file system is cheaper than an fsync per file and folder. */
const SYNCFS_THRESHOLD = 32;
let syncfsWorks = process.platform === 'linux';
const run = promisify(execFileCallback);

/**
 * syncfs(2) through coreutils' `sync --file-system`: writes back every dirty page and inode of the file system
 * holding `folder` and flushes the device once, instead of one flush per fsync. Node has no binding for syncfs.
 * False (and never tried again) where it is unavailable, so the caller fsyncs file by file.
 */
async function syncFileSystem(folder: string): Promise<boolean> {
  if (!syncfsWorks) return false;
  try {
    await run('sync', ['--file-system', folder]);
    return true;
  } catch {
    syncfsWorks = false;
    return false;
  }
}

// The hot path uses the callback API through promisify: a FileHandle per file costs measurably more CPU (an
// object to track and finalize, one more promise per call) at thousands of files per second.
const openFile = promisify(openCallback);
const fsyncDescriptor = promisify(fsyncCallback);
const closeDescriptor = promisify(closeCallback);
const writeWholeFile = promisify(writeFileCallback);

async function writeTemporary(file: string, body: string | Uint8Array, durable: boolean): Promise<void> {
  if (!durable) {
    await writeWholeFile(file, body);
    return;
  }
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(body);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fsyncFile(filePath: string): Promise<void> {
  let descriptor: number;
  try {
    descriptor = await openFile(filePath, 'r');
  } catch (error) {
    if (isNotFound(error)) return; // deleted since: nothing to make durable
    throw error;
  }
  try {
    await fsyncDescriptor(descriptor);
  } finally {
    await closeDescriptor(descriptor);
  }
}

async function fsyncDirectory(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fsyncTree(root: string): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(root, { recursive: true, withFileTypes: true });
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  const files = entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
  const folders = [
    root,
    ...entries.filter((e) => e.isDirectory()).map((e) => path.join(e.parentPath, e.name)),
  ];
  await forEachBounded(files, 8, fsyncFile);
  await forEachBounded(folders, 8, fsyncDirectory);
}
