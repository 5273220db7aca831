import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config.js';
import { NotificationStore } from '../storage/notification-store.js';

const DAY_MS = 24 * 3600 * 1000;
const PRUNE_EVERY_MS = 3600 * 1000;
/** The first pass waits for the backend to connect (Redis refuses commands until then). */
const FIRST_PRUNE_AFTER_MS = 5000;

/** Prunes notifications older than RETENTION_DAYS: soon after start, then hourly, in the background. */
@Injectable()
export class RetentionService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RetentionService.name);
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly store: NotificationStore,
  ) {}

  onModuleInit(): void {
    this.timers.push(
      setTimeout(() => void this.prune(), FIRST_PRUNE_AFTER_MS).unref(),
      setInterval(() => void this.prune(), PRUNE_EVERY_MS).unref(),
    );
  }

  onModuleDestroy(): void {
    for (const timer of this.timers) clearTimeout(timer);
  }

  /** Resolves with how many notifications were deleted; never rejects. */
  async prune(now = new Date()): Promise<number> {
    try {
      const cutoff = new Date(now.getTime() - this.config.retentionDays * DAY_MS);
      const deleted = await this.store.prune(cutoff);
      if (deleted > 0)
        this.logger.log(`Pruned ${deleted} notification(s) older than ${cutoff.toISOString()}`);
      return deleted;
    } catch (error) {
      this.logger.error(`Pruning failed: ${String(error)}`);
      return 0;
    }
  }
}
