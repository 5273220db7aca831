import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { MemoryRateLimitCounters } from './memory-rate-limit-counters.js';

describe(MemoryRateLimitCounters.name, () => {
  let counters: MemoryRateLimitCounters;
  beforeEach(() => {
    counters = new MemoryRateLimitCounters();
  });
  afterEach(() => counters.onApplicationShutdown());

  it('keeps one counter per budget, however many hits it counts', async () => {
    for (let i = 0; i < 1000; i++) await counters.increment('alice', 60_000, 10, 60_000, 'default');
    await counters.increment('bob', 60_000, 10, 60_000, 'default');
    expect(counters.size).toBe(2);
    expect((await counters.increment('alice', 60_000, 10, 60_000, 'default')).totalHits).toBe(1001);
  });

  it('forgets a budget once its window and its block are over, and only then', async () => {
    const start = Date.now();
    for (let i = 0; i < 3; i++) await counters.increment('carol', 1000, 1, 5000, 'default');
    counters.sweep(start + 2000);
    expect(counters.size).toBeGreaterThan(0);
    counters.sweep(start + 6000);
    expect(counters.size).toBe(0);
  });
});
