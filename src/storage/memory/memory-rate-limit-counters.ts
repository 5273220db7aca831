import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import { RateLimitCounters } from '../rate-limit-counters.js';

/** The publish rate limits counted in this process: the throttler's own in-memory storage. */
@Injectable()
export class MemoryRateLimitCounters extends RateLimitCounters implements OnApplicationShutdown {
  private readonly counters = new ThrottlerStorageService();

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): ReturnType<ThrottlerStorage['increment']> {
    return this.counters.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  /** Stops the storage's sweep timer. */
  onApplicationShutdown(): void {
    this.counters.onApplicationShutdown();
  }
}
