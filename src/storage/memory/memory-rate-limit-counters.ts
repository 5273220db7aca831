import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import {
  RateLimitCounters,
  type IncrementArgs,
  type IncrementResult,
} from '../rate-limit-counters.js';

/** One budget: hits in the current window, and a block once the limit was passed. */
interface Counter {
  hits: number;
  windowEndsAt: number;
  blockedUntil: number;
}

/**
 * The publish rate limits counted in this process, as the Redis counters count them
 * (fixed windows: a count that expires `ttl` after its first hit, and a block of
 * `blockDuration` once it passes the limit), in O(1) per request.
 *
 * Not the throttler's own in-memory storage: that keeps every hit's expiry and copies
 * the whole list on every request, so a service publishing 1,000 a second under the
 * default 60 s window paid for copying up to 60,000 numbers per request, and its
 * garbage (issue 16).
 */
@Injectable()
export class MemoryRateLimitCounters extends RateLimitCounters implements OnApplicationShutdown {
  private readonly counters = new Map<string, Counter>();
  private sweeper: NodeJS.Timeout | null = null;

  increment(...[key, ttl, limit, blockDuration, throttlerName]: IncrementArgs): IncrementResult {
    const now = Date.now();
    const id = `${key}:${throttlerName}`;
    let counter = this.counters.get(id);
    if (!counter) {
      counter = { hits: 0, windowEndsAt: now + ttl, blockedUntil: 0 };
      this.counters.set(id, counter);
      this.sweepLater(ttl, blockDuration);
    }
    if (counter.windowEndsAt <= now) {
      counter.hits = 0;
      counter.windowEndsAt = now + ttl;
    }
    counter.hits += 1;
    if (counter.blockedUntil <= now && counter.hits > limit) {
      counter.blockedUntil = now + blockDuration;
    }
    const isBlocked = counter.blockedUntil > now;
    return Promise.resolve({
      totalHits: counter.hits,
      timeToExpire: Math.ceil((counter.windowEndsAt - now) / 1000),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.ceil((counter.blockedUntil - now) / 1000) : 0,
    });
  }

  /** How many budgets are kept (for leak checks). */
  get size(): number {
    return this.counters.size;
  }

  /** Forgets counters whose window and block are both over, so idle callers cost nothing. */
  sweep(now = Date.now()): void {
    for (const [id, counter] of this.counters) {
      if (counter.windowEndsAt <= now && counter.blockedUntil <= now) this.counters.delete(id);
    }
    if (this.counters.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }

  /** One sweep timer, once a window, while any counter is kept. */
  private sweepLater(ttl: number, blockDuration: number): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(), Math.max(ttl, blockDuration));
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }
}
