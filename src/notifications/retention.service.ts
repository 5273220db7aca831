import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config.js';
import { DocumentStore } from '../storage/document-store.js';
import { NotificationStore } from '../storage/notification-store.js';
import { TimelineStore } from '../storage/timeline-store.js';

const PRUNE_EVERY_MS = 3600 * 1000;
/** The first pass waits for the backend to connect (Redis refuses commands until then). */
const FIRST_PRUNE_AFTER_MS = 5000;

/**
 * Takes away what is older than the retention (RETENTION_DAYS, CONTRACT.md "The inbox"):
 * notifications with the read state that refers to them, and documents (messages,
 * workflows, announcements) and timelines not touched since. Soon after start, then
 * hourly, in the background. (Redis expires documents and timelines by itself; their
 * prune there only clears what they leave behind.)
 */
@Injectable()
export class RetentionService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RetentionService.name);
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly notifications: NotificationStore,
    private readonly documents: DocumentStore,
    private readonly timelines: TimelineStore,
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
    const cutoff = new Date(now.getTime() - this.config.retentionMs);
    const [notifications] = await Promise.all([
      this.pruneOne('notification(s)', cutoff, (at) => this.notifications.prune(at)),
      // Each on its own: one failing leaves the others to do their part.
      this.pruneOne('document(s)', cutoff, (at) => this.documents.prune(at)),
      this.pruneOne('timeline(s)', cutoff, (at) => this.timelines.prune(at)),
    ]);
    return notifications;
  }

  private async pruneOne(
    what: string,
    cutoff: Date,
    prune: (cutoff: Date) => Promise<number>,
  ): Promise<number> {
    try {
      const deleted = await prune(cutoff);
      if (deleted > 0)
        this.logger.log(`Pruned ${deleted} ${what} older than ${cutoff.toISOString()}`);
      return deleted;
    } catch (error) {
      this.logger.error(`Pruning ${what} failed: ${String(error)}`);
      return 0;
    }
  }
}
