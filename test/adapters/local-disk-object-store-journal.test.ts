import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalDiskObjectStore } from '../../lambdas/adapters/local-disk-object-store.js';
import { withTempHome } from '../support/temp-home.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function journaledStore(options: { checkpointIntervalMs?: number } = {}) {
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
