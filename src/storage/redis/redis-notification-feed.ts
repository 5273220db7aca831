import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Notification } from '../../notifications/notification.js';
import { FeedHandlers, NotificationFeed } from '../notification-feed.js';
import { KEY_PREFIX, RedisConnections } from './redis-connections.js';
import { parseTimelineMessage } from './redis-timeline-store.js';

/** The store's append publishes each notification here, in the same atomic script. */
export const NOTIFICATIONS_CHANNEL = `${KEY_PREFIX}notifications`;
/** Likewise for timeline events, published by the timeline store's append. */
export const TIMELINES_CHANNEL = `${KEY_PREFIX}timelines`;
const READS_CHANNEL = `${KEY_PREFIX}reads`;

/**
 * The cross-instance feed: one subscription per instance, whatever its number of streams.
 * Notifications and timeline events come from the stores' append scripts, which publish
 * them in cursor order; reads are published here. When the subscription comes back after
 * an outage, the instance's streams are told to catch up from the store, since whatever
 * was published meanwhile never reached this instance.
 */
@Injectable()
export class RedisNotificationFeed extends NotificationFeed implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisNotificationFeed.name);
  private subscribedBefore = false;
  private stopped = false;

  constructor(private readonly redis: RedisConnections) {
    super();
    const { subscriber } = redis;
    subscriber.on('message', (channel: string, message: string) => this.receive(channel, message));
    subscriber.on('ready', () => void this.onReady());
  }

  override subscribe(handlers: FeedHandlers): void {
    super.subscribe(handlers);
    if (this.subscribers.length === 1 && this.redis.subscriber.status === 'ready') {
      void this.onReady();
    }
  }

  /** Nothing to send: the store's append already published them, atomically and in order. */
  publish(): void {}

  /** Likewise: the timeline store's append published them. */
  publishTimeline(): void {}

  async publishRead(userId: string): Promise<void> {
    await this.redis.commands.publish(READS_CHANNEL, userId);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
  }

  private async onReady(): Promise<void> {
    if (this.stopped || this.subscribers.length === 0) return;
    try {
      await this.redis.subscriber.subscribe(
        NOTIFICATIONS_CHANNEL,
        TIMELINES_CHANNEL,
        READS_CHANNEL,
      );
    } catch (error) {
      this.logger.error(`Could not subscribe: ${String(error)}`);
      return;
    }
    if (this.subscribedBefore)
      this.logger.warn('Subscription restored: streams catch up from the store');
    this.subscribedBefore = true;
    // The catch-up reads through the command connection, which may come back after this one.
    if (!(await this.commandsReady())) return;
    // The first subscription too: streams may have opened before it was in place.
    this.emit('resumed');
  }

  /** Waits (up to 30 s) for the command connection; false if it did not come back. */
  private async commandsReady(): Promise<boolean> {
    for (let waited = 0; waited < 30_000; waited += 100) {
      if (this.stopped) return false;
      if (this.redis.commands.status === 'ready') return true;
      await new Promise((resolve) => setTimeout(resolve, 100).unref());
    }
    this.logger.error('Redis commands did not come back: streams could not catch up');
    return false;
  }

  private receive(channel: string, message: string): void {
    if (this.stopped) return;
    if (channel === NOTIFICATIONS_CHANNEL) {
      this.emit('notification', JSON.parse(message) as Notification, message);
    } else if (channel === TIMELINES_CHANNEL) {
      const { workflowId, event } = parseTimelineMessage(message);
      this.emit('timeline', workflowId, event);
    } else if (channel === READS_CHANNEL) {
      this.emit('read', message);
    }
  }
}
