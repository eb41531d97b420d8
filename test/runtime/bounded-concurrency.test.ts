import { describe, expect, it } from 'vitest';
import { forEachBounded } from '../../lambdas/runtime/bounded-concurrency.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('forEachBounded', () => {
  it('does every item with never more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await forEachBounded([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      running += 1;
      most = Math.max(most, running);
      await tick();
      done.push(item);
      running -= 1;
    });
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  it('after a failure starts nothing new, lets the running ones finish, then throws the first error', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    let running = 0;
    const outcome = forEachBounded([1, 2, 3, 4, 5, 6], 2, async (item) => {
      started.push(item);
      running += 1;
      await tick();
      running -= 1;
      if (item === 1) throw new Error('first');
      if (item === 2) throw new Error('second');
      finished.push(item);
    });
    await expect(outcome).rejects.toThrow('first');
    expect(running).toBe(0);
    expect(started).toEqual([1, 2]);
    expect(finished).toEqual([]);
  });

  it('does nothing for no items', async () => {
    await expect(forEachBounded([], 4, async () => {})).resolves.toBeUndefined();
  });
});
