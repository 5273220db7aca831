import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { RateLimitCounters } from '../../src/storage/rate-limit-counters.js';
import { sleep } from '../support/wait.js';

export interface OpenedRateLimitCounters {
  counters: RateLimitCounters;
  close(): Promise<void>;
}

/** Long enough for a loaded machine to make a few requests inside one window. */
const WINDOW_MS = 600;

/**
 * The behaviour every {@link RateLimitCounters} must have, as @nestjs/throttler reads it
 * (a 429 with Retry-After while `isBlocked`): a fixed window per budget, and a block once
 * the limit is passed. `open` gives fresh counters per test.
 */
export function describeRateLimitCounters(
  name: string,
  open: () => Promise<OpenedRateLimitCounters>,
): void {
  describe(`${RateLimitCounters.name} contract: ${name}`, () => {
    let opened: OpenedRateLimitCounters;
    let prefix: string;
    beforeEach(async () => {
      opened = await open();
      // Budgets of one test never meet another's, whatever the counters keep.
      prefix = `t${Date.now()}-${Math.random()}`;
    });
    afterEach(() => opened.close());

    const hit = (key: string, limit = 3, throttler = 'default') =>
      opened.counters.increment(`${prefix}:${key}`, WINDOW_MS, limit, WINDOW_MS, throttler);

    it('counts hits in a window, blocks past the limit, and counts afresh once both are over', async () => {
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await hit('alice'));
      expect(answers.map((a) => [a.totalHits, a.isBlocked])).toEqual([
        [1, false],
        [2, false],
        [3, false],
        [4, true],
      ]);
      expect(answers[0].timeToExpire).toBe(1);
      expect(answers[3].timeToBlockExpire).toBe(1);
      expect(answers[2].timeToBlockExpire).toBe(0);
      expect((await hit('alice')).isBlocked).toBe(true);
      await sleep(WINDOW_MS + 150);
      expect(await hit('alice')).toMatchObject({ totalHits: 1, isBlocked: false });
    });

    it('keeps one budget per key and per throttler', async () => {
      await hit('alice', 1);
      expect((await hit('alice', 1)).isBlocked).toBe(true);
      expect(await hit('bob', 1)).toMatchObject({ totalHits: 1, isBlocked: false });
      expect(await hit('alice', 1, 'other')).toMatchObject({ totalHits: 1, isBlocked: false });
    });

    it('gives the seconds left in the window, rounded up', async () => {
      const longer = await opened.counters.increment(`${prefix}:carol`, 2500, 10, 2500, 'default');
      expect(longer).toMatchObject({ totalHits: 1, timeToExpire: 3, isBlocked: false });
    });
  });
}
