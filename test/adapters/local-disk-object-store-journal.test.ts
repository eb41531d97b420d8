import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalDiskObjectStore, type MergePolicy } from '../../lambdas/adapters/local-disk-object-store.js';
import { mergedTableObjectKey, tablePartitionFolderOf } from '../../lambdas/lake/layout.js';
import { snapshotFiles } from '../support/lake-files.js';
import { withTempHome } from '../support/temp-home.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const TABLE_ROWS: MergePolicy = { groupOf: tablePartitionFolderOf, keyOf: mergedTableObjectKey };

async function journaledStore(options: { checkpointIntervalMs?: number; merge?: MergePolicy } = {}) {
  const home = await withTempHome();
  cleanups.push(home.cleanup);
  const lake = path.join(home.root, 'lake');
  const journal = path.join(home.root, 'journal');
  const store = await LocalDiskObjectStore.open({
    root: lake,
    journalDir: journal,
    durability: 'journal',
    ...options,
  });
  return { store, lake, journal };
}

const text = async (file: string) => readFile(file, 'utf8');

describe('LocalDiskObjectStore in journal mode', () => {
  it('leaves the last of many concurrent writes of one key, and each write readable once it resolves', async () => {
    const { store, lake } = await journaledStore();
    const key = 'tables/accounts/dt=2025-06-01/generic-abc.jsonl';
    const writes = Array.from({ length: 60 }, (_, index) =>
      store.putObjects([{ key, body: `version ${index}\n` }]).then(async () => {
        // Read-your-writes: once a put resolves, its version (or a later one) is in place.
        const seen = Number((await text(path.join(lake, key))).split(' ')[1]);
        expect(seen).toBeGreaterThanOrEqual(index);
      }),
    );
    await Promise.all(writes);
    expect(await text(path.join(lake, key))).toBe('version 59\n');
    await store.close();
  });

  it('retires the journal only after every file it holds is written', async () => {
    const { store, lake, journal } = await journaledStore();
    const keys = Array.from({ length: 200 }, (_, index) => `raw/source=generic/dt=2025-06-01/k${index}.json`);
    await Promise.all(keys.map((key, index) => store.putObjects([{ key, body: `{"n":${index}}\n` }])));
    await store.sync();
    const segments = (await readdir(journal)).filter((name) => name.endsWith('.log'));
    expect(segments).toHaveLength(1);
    expect((await readFile(path.join(journal, segments[0]!))).length).toBe(0);
    for (const [index, key] of keys.entries())
      expect(await text(path.join(lake, key))).toBe(`{"n":${index}}\n`);
    await store.close();
  });

  it('restores acknowledged writes from the journal when their files were lost', async () => {
    const { store, lake, journal } = await journaledStore({ checkpointIntervalMs: 3_600_000 });
    const objects = Array.from({ length: 30 }, (_, index) => ({
      key: `tables/survey_responses/dt=2025-06-0${1 + (index % 3)}/generic-${index}.jsonl`,
      body: `{"event_id":"e${index}"}\n`,
    }));
    await Promise.all(objects.map((object) => store.putObjects([object])));
    // A power cut before the checkpoint: the key files never reached the disk, the journal did. The crashed
    // process's store is simply abandoned (closing it would checkpoint).
    await (store as unknown as { journal: { close(): Promise<void> } }).journal.close();
    await rm(path.join(lake, 'tables'), { recursive: true });

    const reopened = await LocalDiskObjectStore.open({
      root: lake,
      journalDir: journal,
      durability: 'journal',
    });
    for (const object of objects) expect(await text(path.join(lake, object.key))).toBe(object.body);
    await reopened.close();
  });

  it('writes into a folder someone removed while the store was open', async () => {
    const { store, lake } = await journaledStore();
    const key = 'tables/subscriptions/dt=2025-06-01/generic-1.jsonl';
    await store.putObjects([{ key, body: 'one\n' }]);
    await rm(path.join(lake, 'tables'), { recursive: true });
    await store.putObjects([{ key, body: 'two\n' }]);
    expect(await text(path.join(lake, key))).toBe('two\n');
    await store.close();
  });

  it('writes the table rows of one journal segment as one file per partition, visible from the checkpoint on', async () => {
    const { store, lake } = await journaledStore({ checkpointIntervalMs: 3_600_000, merge: TABLE_ROWS });
    const june1 = 'tables/survey_responses/dt=2025-06-01';
    await Promise.all([
      store.putObjects([
        { key: 'raw/source=generic/dt=2025-06-10/a.json', body: '{"a":1}\n' },
        { key: `${june1}/generic-a.jsonl`, body: '{"event_id":"a","v":1}\n' },
      ]),
      store.putObjects([{ key: `${june1}/generic-b.jsonl`, body: '{"event_id":"b"}\n' }]),
      store.putObjects([
        { key: 'tables/accounts/dt=2025-06-02/generic-c.jsonl', body: '{"event_id":"c"}\n' },
      ]),
    ]);
    // Durable in the journal, but no table file yet; an object of its own is in place at once.
    expect([...(await snapshotFiles(lake)).keys()]).toEqual(['raw/source=generic/dt=2025-06-10/a.json']);
    // A rewrite within the segment replaces the earlier bytes of its key.
    await store.putObjects([{ key: `${june1}/generic-a.jsonl`, body: '{"event_id":"a","v":2}\n' }]);

    await store.sync();
    const files = await snapshotFiles(lake);
    const june1Files = [...files.keys()].filter((key) => key.startsWith(`${june1}/`));
    expect(june1Files).toHaveLength(1);
    expect(june1Files[0]).toMatch(/\/merged-[0-9a-f]{32}\.jsonl$/);
    expect(files.get(june1Files[0]!)!.toString()).toBe('{"event_id":"b"}\n{"event_id":"a","v":2}\n');
    expect([...files.keys()].filter((key) => key.startsWith('tables/accounts/'))).toHaveLength(1);
    expect(files.size).toBe(3);
    await store.close();
  });

  it('restores merged rows after a crash, and rewrites the same files when a segment is applied twice', async () => {
    const { store, lake, journal } = await journaledStore({
      checkpointIntervalMs: 3_600_000,
      merge: TABLE_ROWS,
    });
    const objects = Array.from({ length: 40 }, (_, index) => ({
      key: `tables/survey_responses/dt=2025-06-0${1 + (index % 3)}/generic-${index}.jsonl`,
      body: `{"event_id":"e${index}"}\n`,
    }));
    await Promise.all(objects.map((object) => store.putObjects([object])));
    const [segment] = (await readdir(journal)).filter((name) => name.endsWith('.log'));
    const savedSegment = path.join(lake, '..', 'saved-segment');
    await copyFile(path.join(journal, segment!), savedSegment);
    // Killed before any checkpoint: the rows exist only in the journal.
    await (store as unknown as { journal: { close(): Promise<void> } }).journal.close();
    expect((await snapshotFiles(path.join(lake, 'tables'))).size).toBe(0);

    const recovered = await LocalDiskObjectStore.open({
      root: lake,
      journalDir: journal,
      durability: 'journal',
      merge: TABLE_ROWS,
    });
    await recovered.close();
    const afterRecovery = await snapshotFiles(path.join(lake, 'tables'));
    expect(afterRecovery.size).toBe(3);
    const rows = [...afterRecovery.values()].flatMap((bytes) => bytes.toString().split('\n').filter(Boolean));
    expect(rows.sort()).toEqual(objects.map((object) => object.body.trim()).sort());

    // Killed after a checkpoint wrote the files but before it retired the segment: applied again, same files.
    await copyFile(savedSegment, path.join(journal, segment!));
    const again = await LocalDiskObjectStore.open({
      root: lake,
      journalDir: journal,
      durability: 'journal',
      merge: TABLE_ROWS,
    });
    await again.close();
    expect(await snapshotFiles(path.join(lake, 'tables'))).toEqual(afterRecovery);
  });

  it('rejects a write whose file cannot be put in place, and goes on with the others', async () => {
    const { store, lake } = await journaledStore();
    const blocked = 'raw/source=generic/dt=2025-06-01/blocked.json';
    // A folder where the file should go: renaming the written file onto it fails.
    await mkdir(path.join(lake, blocked, 'inside'), { recursive: true });
    const fine = 'raw/source=generic/dt=2025-06-01/fine.json';
    const results = await Promise.allSettled([
      store.putObjects([{ key: blocked, body: '{"b":1}\n' }]),
      store.putObjects([{ key: fine, body: '{"f":1}\n' }]),
    ]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'fulfilled']);
    // Nothing of the failed write is left beside its key.
    expect(await readdir(path.dirname(path.join(lake, blocked)))).toEqual(['blocked.json', 'fine.json']);
    expect(await text(path.join(lake, fine))).toBe('{"f":1}\n');
    await store.putObjects([{ key: fine, body: '{"f":2}\n' }]);
    expect(await text(path.join(lake, fine))).toBe('{"f":2}\n');
    await store.close();
  });

  it('removes the temporary files of dead writers on start, and leaves those of live ones', async () => {
    const home = await withTempHome();
    cleanups.push(home.cleanup);
    const lake = path.join(home.root, 'lake');
    const folder = path.join(lake, 'tables', 'accounts', 'dt=2025-06-01');
    await mkdir(folder, { recursive: true });
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    const livePid = process.ppid;
    const dead = path.join(folder, `generic-a.jsonl.tmp-${deadPid}-7`);
    const live = path.join(folder, `generic-b.jsonl.tmp-${livePid}-3`);
    const whole = path.join(folder, 'generic-c.jsonl');
    for (const file of [dead, live, whole]) await writeFile(file, '{"event_id":"x"}\n');

    const store = await LocalDiskObjectStore.open({
      root: lake,
      journalDir: path.join(home.root, 'journal'),
      durability: 'journal',
    });
    expect((await readdir(folder)).sort()).toEqual([path.basename(whole), path.basename(live)].sort());
    await store.close();
  });
});
