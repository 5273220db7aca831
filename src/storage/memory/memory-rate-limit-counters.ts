import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorageService } from '@nestjs/throttler';
import {
  RateLimitCounters,
  type IncrementArgs,
  type IncrementResult,
} from '../rate-limit-counters.js';

/** The publish rate limits counted in this process: the throttler's own in-memory storage. */
@Injectable()
export class MemoryRateLimitCounters extends RateLimitCounters implements OnApplicationShutdown {
  private readonly counters = new ThrottlerStorageService();

  increment(...args: IncrementArgs): IncrementResult {
    return this.counters.increment(...args);
  }

  /** Stops the storage's sweep timer. */
  onApplicationShutdown(): void {
    this.counters.onApplicationShutdown();
  }
}
