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
      // An instance hears broadcasts and its own users' notifications (on Redis, the
      // channels of the users it holds streams of), plus what every instance must learn
      // (a new epoch, a new type): what no stream here wants is skipped unparsed.
      notification: (fed) => {
        this.streams.followHistory(fed.id);
        this.types.observe(fed.type);
        const routed = this.router.wants(fed.recipient);
        this.metrics.notificationFed(routed);
        if (routed) this.router.deliver(fed.notification(), fed.json);
      },
      // A read mark can still arrive after the user's last stream here closed (and, on
      // the embedded store, for any user): with no stream, no count to tell, no recount.
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
