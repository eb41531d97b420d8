import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ListedObject, ObjectStore } from '../../lambdas/ports/object-store.js';

/** A fresh, empty store for one test, and how to dispose of whatever backs it. */
export interface ObjectStoreUnderTest {
  readonly store: ObjectStore;
  readonly dispose?: () => Promise<void>;
}

export interface ContractOptions {
  /**
   * The store lists in pages of this many keys (its list page size is set to it), so the paging test writes more
   * than that. @default 5
   */
  readonly listPageSize?: number;
}

/**
 * What every ObjectStore promises (lambdas/ports/object-store.ts), as tests any adapter runs against a real backend:
 * the lake code can then switch between S3 and the local folder without behaving differently.
 */
export function objectStoreContract(
  name: string,
  createStore: () => Promise<ObjectStoreUnderTest>,
  options: ContractOptions = {},
): void {
  const pageSize = options.listPageSize ?? 5;

  describe(`${name} (ObjectStore contract)`, () => {
    let subject: ObjectStoreUnderTest;
    let store: ObjectStore;
    let closed: boolean;

    beforeEach(async () => {
      subject = await createStore();
      store = subject.store;
      closed = false;
    });

    afterEach(async () => {
      if (!closed) await store.close();
      await subject.dispose?.();
    });

    async function listAll(prefix: string): Promise<ListedObject[]> {
      const listed: ListedObject[] = [];
      for await (const object of store.listObjects(prefix)) listed.push(object);
      return listed;
    }

    const text = (bytes: Uint8Array | undefined) =>
      bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8');

    it('reads back exactly the text and the bytes it wrote', async () => {
      const binary = new Uint8Array([0, 1, 2, 127, 128, 254, 255]);
      await store.putObjects([
        {
          key: 'raw/source=generic/dt=2026-01-02/a.json',
          body: '{"é":"ü ✓"}\n',
          contentType: 'application/json',
        },
        { key: 'raw/source=generic/dt=2026-01-02/b.bin', body: binary },
      ]);

      expect(text(await store.getObject('raw/source=generic/dt=2026-01-02/a.json'))).toBe('{"é":"ü ✓"}\n');
      expect([...((await store.getObject('raw/source=generic/dt=2026-01-02/b.bin')) ?? [])]).toEqual([
        ...binary,
      ]);
    });

    it('answers undefined for a key that was never written', async () => {
      await store.putObjects([{ key: 'tables/accounts/dt=2026-01-01/x.jsonl', body: 'x' }]);

      expect(await store.getObject('tables/accounts/dt=2026-01-01/y.jsonl')).toBeUndefined();
      expect(await store.getObject('nothing/here.json')).toBeUndefined();
    });

    it('replaces an object when its key is written again, so a redelivery never adds a copy', async () => {
      await store.putObjects([{ key: 'raw/k.json', body: 'first version, longer' }]);
      await store.putObjects([{ key: 'raw/k.json', body: 'second' }]);

      expect(text(await store.getObject('raw/k.json'))).toBe('second');
      expect((await listAll('raw/')).map((object) => [object.key, object.size])).toEqual([['raw/k.json', 6]]);
    });

    it('resolves an empty write without writing anything', async () => {
      await store.putObjects([]);

      expect(await listAll('')).toEqual([]);
    });

    it('writes a large batch in one call and every object is readable once it resolves', async () => {
      const objects = Array.from({ length: 60 }, (_, index) => ({
        key: `tables/survey_responses/dt=2026-03-${String((index % 28) + 1).padStart(2, '0')}/o-${index}.jsonl`,
        body: `{"n":${index}}\n`,
      }));

      await store.putObjects(objects);

      const bodies = await Promise.all(objects.map((object) => store.getObject(object.key)));
      expect(bodies.map(text)).toEqual(objects.map((object) => object.body));
    });

    it('lists the objects under a prefix in key order, with their sizes and modification times', async () => {
      const before = Date.now() - 60_000;
      await store.putObjects([
        { key: 'tables/subscriptions/dt=2026-01-02/b.jsonl', body: 'bb' },
        { key: 'tables/subscriptions/dt=2026-01-01/z.jsonl', body: 'z' },
        { key: 'tables/subscriptions/dt=2026-01-01/a.jsonl', body: 'aaa' },
        { key: 'tables/accounts/dt=2026-01-01/a.jsonl', body: 'not under the prefix' },
        { key: 'raw/source=generic/dt=2026-01-01/a.json', body: 'not under the prefix either' },
      ]);

      const listed = await listAll('tables/subscriptions/');

      expect(listed.map((object) => [object.key, object.size])).toEqual([
        ['tables/subscriptions/dt=2026-01-01/a.jsonl', 3],
        ['tables/subscriptions/dt=2026-01-01/z.jsonl', 1],
        ['tables/subscriptions/dt=2026-01-02/b.jsonl', 2],
      ]);
      for (const object of listed) {
        expect(object.lastModified).toBeInstanceOf(Date);
        expect(object.lastModified.getTime()).toBeGreaterThan(before);
      }
    });

    it('matches a prefix that ends inside a key segment, like S3 does', async () => {
      await store.putObjects([
        { key: 'raw/source=generic/dt=2026-01-01/a.json', body: '1' },
        { key: 'raw/source=general/dt=2026-01-01/a.json', body: '2' },
        { key: 'raw/source=stripe/dt=2026-01-01/a.json', body: '3' },
      ]);

      const keys = (await listAll('raw/source=gen')).map((object) => object.key);

      expect(keys).toEqual([
        'raw/source=general/dt=2026-01-01/a.json',
        'raw/source=generic/dt=2026-01-01/a.json',
      ]);
      expect(await listAll('raw/source=nobody/')).toEqual([]);
      expect(await listAll('missing/')).toEqual([]);
    });

    it(`lists every object when there are more than one page (${pageSize}) of them`, async () => {
      const keys = Array.from(
        { length: pageSize * 2 + 3 },
        (_, index) => `raw/source=generic/dt=2026-02-01/${String(index).padStart(3, '0')}.json`,
      );
      await store.putObjects(keys.map((key) => ({ key, body: key })));

      expect((await listAll('raw/')).map((object) => object.key)).toEqual(keys);
    });

    it('deletes the named objects, leaves the others, and ignores keys that do not exist', async () => {
      await store.putObjects([
        { key: 'tables/accounts/dt=2026-01-01/a.jsonl', body: 'a' },
        { key: 'tables/accounts/dt=2026-01-01/b.jsonl', body: 'b' },
        { key: 'tables/accounts/dt=2026-01-02/c.jsonl', body: 'c' },
      ]);

      await store.deleteObjects([
        'tables/accounts/dt=2026-01-01/a.jsonl',
        'tables/accounts/dt=2026-01-02/c.jsonl',
        'tables/accounts/dt=2026-01-09/never-written.jsonl',
      ]);

      expect(await store.getObject('tables/accounts/dt=2026-01-01/a.jsonl')).toBeUndefined();
      expect((await listAll('tables/')).map((object) => object.key)).toEqual([
        'tables/accounts/dt=2026-01-01/b.jsonl',
      ]);
      await store.deleteObjects([]);
    });

    it.each([
      ['empty', ''],
      ['absolute', '/raw/a.json'],
      ['parent segment', 'raw/../../etc/passwd'],
      ['dot segment', 'raw/./a.json'],
      ['empty segment', 'raw//a.json'],
    ])('refuses a key with an %s path and writes nothing of that batch', async (_, badKey) => {
      await expect(
        store.putObjects([
          { key: 'raw/good.json', body: 'good' },
          { key: badKey, body: 'bad' },
        ]),
      ).rejects.toThrow(/invalid object key/);

      expect(await listAll('')).toEqual([]);
    });

    it('refuses writes once closed, after the writes already started have finished', async () => {
      const pending = store.putObjects([{ key: 'raw/started-before-close.json', body: 'kept' }]);
      const closing = store.close();
      closed = true;
      await Promise.all([pending, closing]);

      await expect(store.putObjects([{ key: 'raw/after-close.json', body: 'x' }])).rejects.toThrow(/closed/);
      await store.close(); // closing twice is harmless
    });
  });
}
