import { appendFile, cp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Durability, LocalDiskObjectStore } from '../../lambdas/adapters/local-disk-object-store.js';
import { withTempHome } from '../support/temp-home.js';
import { objectStoreContract } from './object-store-contract.js';

for (const durability of ['journal', 'fsync', 'none'] as const satisfies readonly Durability[]) {
  objectStoreContract(`LocalDiskObjectStore, ${durability} durability`, async () => {
    const home = await withTempHome();
    const store = await LocalDiskObjectStore.open({ root: path.join(home.root, 'lake'), durability });
    return { store, dispose: home.cleanup };
  });
}

describe('LocalDiskObjectStore journal recovery', () => {
  let home: Awaited<ReturnType<typeof withTempHome>>;
  let store: LocalDiskObjectStore;
  const keyA = 'raw/source=generic/dt=2026-01-01/a.json';
  const keyB = 'tables/accounts/dt=2026-01-01/generic-b.jsonl';

  /**
   * A crash while the server runs: the folder as it is on disk with the store still open (no checkpoint yet, so the
   * journal holds every acknowledged write), copied where a second process will open it.
   */
  async function crashCopy(): Promise<{ lake: string; journal: string }> {
    const copy = path.join(home.root, 'after-crash');
    await cp(path.join(home.root, 'live'), copy, { recursive: true });
    return { lake: path.join(copy, 'lake'), journal: path.join(copy, 'journal') };
  }

  async function journalSegments(journal: string): Promise<string[]> {
    return (await readdir(journal)).filter((name) => name.endsWith('.log')).sort();
  }

  beforeEach(async () => {
    home = await withTempHome();
    store = await LocalDiskObjectStore.open({
      root: path.join(home.root, 'live', 'lake'),
      durability: 'journal',
      checkpointIntervalMs: 3_600_000, // no checkpoint during the test: the journal keeps every write
    });
  });

  afterEach(async () => {
    await store.close();
    await home.cleanup();
  });

  it('restores an acknowledged write whose key file never reached the disk', async () => {
    await store.putObjects([{ key: keyA, body: 'body A' }]);
    await store.putObjects([{ key: keyB, body: new Uint8Array([1, 2, 3]) }]);
    const crashed = await crashCopy();
    await rm(path.join(crashed.lake, keyA)); // the rename was acknowledged, but the file was lost with the page cache
    await rm(path.join(crashed.lake, keyB));

    const recovered = await LocalDiskObjectStore.open({ root: crashed.lake, durability: 'journal' });
    try {
      expect(Buffer.from((await recovered.getObject(keyA))!).toString()).toBe('body A');
      expect([...((await recovered.getObject(keyB)) ?? [])]).toEqual([1, 2, 3]);
      // Recovery made the files durable and retired the old journal: the new segment starts empty.
      const segments = await journalSegments(crashed.journal);
      expect(segments).toHaveLength(1);
    } finally {
      await recovered.close();
    }
  });

  it('replays writes in order, so the last acknowledged version of a key wins', async () => {
    await store.putObjects([{ key: keyA, body: 'old' }]);
    await store.putObjects([{ key: keyA, body: 'new' }]);
    const crashed = await crashCopy();
    await rm(path.join(crashed.lake, keyA));

    const recovered = await LocalDiskObjectStore.open({ root: crashed.lake, durability: 'journal' });
    try {
      expect(Buffer.from((await recovered.getObject(keyA))!).toString()).toBe('new');
    } finally {
      await recovered.close();
    }
  });

  it('ignores a torn record at the end of the journal and keeps every complete one before it', async () => {
    await store.putObjects([{ key: keyA, body: 'complete' }]);
    const crashed = await crashCopy();
    await rm(path.join(crashed.lake, keyA));
    const [segment] = await journalSegments(crashed.journal);
    // A header announcing 1000 bytes followed by only a few: a write cut off by the crash, never acknowledged.
    const torn = Buffer.alloc(12);
    torn.writeUInt32LE(1000, 0);
    await appendFile(path.join(crashed.journal, segment!), torn);

    const recovered = await LocalDiskObjectStore.open({ root: crashed.lake, durability: 'journal' });
    try {
      expect(Buffer.from((await recovered.getObject(keyA))!).toString()).toBe('complete');
      expect((await collect(recovered.listObjects(''))).map((object) => object.key)).toEqual([keyA]);
    } finally {
      await recovered.close();
    }
  });

  it('stops at a record whose checksum does not match instead of writing corrupt data', async () => {
    await store.putObjects([{ key: keyA, body: 'complete' }]);
    const crashed = await crashCopy();
    const [segment] = await journalSegments(crashed.journal);
    const payload = Buffer.from(JSON.stringify([{ key: keyB, text: 'corrupt' }]));
    const header = Buffer.alloc(8);
    header.writeUInt32LE(payload.length, 0);
    header.writeUInt32LE(0xdeadbeef, 4); // not the crc32 of the payload
    await appendFile(path.join(crashed.journal, segment!), Buffer.concat([header, payload]));

    const recovered = await LocalDiskObjectStore.open({ root: crashed.lake, durability: 'journal' });
    try {
      expect(await recovered.getObject(keyB)).toBeUndefined();
      expect(Buffer.from((await recovered.getObject(keyA))!).toString()).toBe('complete');
    } finally {
      await recovered.close();
    }
  });

  it('refuses to open a lake whose journal another live process holds', async () => {
    const crashed = await crashCopy();
    // The copied LOCK names this test process; a lock naming another live process (our parent) must be respected.
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(crashed.journal, 'LOCK'), String(process.ppid));

    await expect(LocalDiskObjectStore.open({ root: crashed.lake, durability: 'journal' })).rejects.toThrow(
      /in use by process/,
    );
  });
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
