import {
  HttpException,
  HttpStatus,
  Injectable,
  Optional,
  ServiceUnavailableException,
} from '@nestjs/common';
import { AppConfig } from '../config.js';
import { MetricsService } from '../metrics/metrics.service.js';

/**
 * Counts the open streams of every kind (notifications, timelines, presence) on this
 * instance against MAX_STREAMS and, per user, MAX_STREAMS_PER_USER: the contract's
 * limits are on streams "of any kind", so the StreamHub, which opens every stream,
 * admits each here against one set of counts. It also keeps the open-streams gauge.
 */
@Injectable()
export class StreamAdmission {
  private open = 0;
  private readonly byUser = new Map<string, number>();

  constructor(
    private readonly config: AppConfig,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /**
   * Counts one more stream of `userId`, or refuses it: 503 when the instance is full,
   * 429 when the user is. Returns what uncounts it, to call when the stream closes
   * (calling it again does nothing).
   */
  admit(userId: string): () => void {
    if (this.open >= this.config.maxStreams) {
      throw new ServiceUnavailableException(
        `This instance holds its maximum of ${this.config.maxStreams} streams (MAX_STREAMS); retry later`,
      );
    }
    const mine = this.byUser.get(userId) ?? 0;
    if (mine >= this.config.maxStreamsPerUser) {
      throw new HttpException(
        `User ${userId} already has ${this.config.maxStreamsPerUser} open streams (MAX_STREAMS_PER_USER)`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    this.open++;
    this.byUser.set(userId, mine + 1);
    this.metrics?.streamOpened();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release(userId);
    };
  }

  /** Streams and users counted, for leak checks: both 0 once every stream closed. */
  get counts(): { streams: number; users: number } {
    return { streams: this.open, users: this.byUser.size };
  }

  private release(userId: string): void {
    this.open--;
    const left = (this.byUser.get(userId) ?? 1) - 1;
    if (left === 0) this.byUser.delete(userId);
    else this.byUser.set(userId, left);
    this.metrics?.streamClosed();
  }
}
