import { Injectable, OnModuleInit } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service.js';
import { LiveFeed } from '../storage/live-feed.js';
import { StreamHub } from '../streaming/stream-hub.js';
import { MutedTypes } from './muted-types.js';
import { NotificationRouter } from './notification-router.js';
import { NotificationStreamsService } from './notification-streams.service.js';
import { NotificationTypes } from './notification-types.js';
import { PreferencesService } from './preferences.service.js';
import { UnreadCounts } from './unread-counts.js';

/**
 * Connects this instance to the feed: deliveries (a new type announced first), read and
 * preference updates, catch-up after an outage.
 */
@Injectable()
export class FeedListener implements OnModuleInit {
  constructor(
    private readonly feed: LiveFeed,
    private readonly router: NotificationRouter,
    private readonly unread: UnreadCounts,
    private readonly streams: NotificationStreamsService,
    private readonly types: NotificationTypes,
    private readonly muted: MutedTypes,
    private readonly preferences: PreferencesService,
    private readonly hub: StreamHub,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.feed.subscribe({
      // Every instance hears every notification: what no stream here wants is skipped
      // unparsed, after what every instance must learn from it (a new epoch, a new type).
      notification: (fed) => {
        this.streams.followHistory(fed.id);
        this.types.observe(fed.type);
        const routed = this.router.wants(fed.recipient);
        this.metrics.notificationFed(routed);
        if (routed) this.router.deliver(fed.notification(), fed.json);
      },
      // Read marks reach every instance too: only one holding a stream of the user has a
      // count to tell, so the others skip the store reads a recount would cost.
      read: (userId) => {
        if (this.hub.users.countFor(userId) === 0) return;
        void this.unread.recount(userId).catch(() => undefined);
      },
      preferences: (userId, muted) => this.preferencesChanged(userId, muted),
      resumed: () => {
        void this.types.reload();
        void this.streams.catchUpAll();
      },
    });
  }

  /**
   * A user's preferences changed: their streams here filter with the new set from now on,
   * get the whole `preferences` object, then their unread count under it.
   */
  private preferencesChanged(userId: string, muted: readonly string[]): void {
    if (!this.muted.update(userId, muted)) return;
    this.hub.users.sendTo(userId, this.preferences.frame(muted));
    void this.unread.recount(userId).catch(() => undefined);
  }
}
