import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { LiveFeed, LiveFeedHandlers } from '../live-feed.js';
import {
  CHANNELS,
  decodeNotificationMessage,
  decodePreferencesMessage,
  decodeReadMessage,
  decodeTimelineMessage,
} from './redis-channels.js';
import { RedisConnections } from './redis-connections.js';

/**
 * The cross-instance {@link LiveFeed}: one subscription per instance, whatever its number
 * of streams, to the channels the stores' scripts publish on (redis-channels.ts), in the
 * order of their writes. When the subscription comes back after an outage, the
 * instance's streams are told to catch up from the store, since whatever was published
 * meanwhile never reached this instance.
 */
@Injectable()
export class RedisLiveFeed extends LiveFeed implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisLiveFeed.name);
  private subscribedBefore = false;
  private stopped = false;

  constructor(private readonly redis: RedisConnections) {
    super();
    const { subscriber } = redis;
    subscriber.on('message', (channel: string, message: string) => this.receive(channel, message));
    subscriber.on('ready', () => void this.onReady());
  }

  override subscribe(handlers: LiveFeedHandlers): void {
    super.subscribe(handlers);
    if (this.subscribers.length === 1 && this.redis.subscriber.status === 'ready') {
      void this.onReady();
    }
  }

  onApplicationShutdown(): void {
    this.stopped = true;
  }

  private async onReady(): Promise<void> {
    if (this.stopped || this.subscribers.length === 0) return;
    try {
      await this.redis.subscriber.subscribe(
        CHANNELS.notifications,
        CHANNELS.timelines,
        CHANNELS.reads,
        CHANNELS.preferences,
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
    if (channel === CHANNELS.notifications) {
      let appended;
      try {
        appended = decodeNotificationMessage(message);
      } catch (error) {
        // A message of another format (an instance of another version): not this one's to crash on.
        this.logger.error(`Ignored a notification message: ${String(error)}`);
        return;
      }
      for (const fed of appended) this.emit('notification', fed);
    } else if (channel === CHANNELS.timelines) {
      const { workflowId, event } = decodeTimelineMessage(message);
      this.emit('timeline', workflowId, event);
    } else if (channel === CHANNELS.reads) {
      this.emit('read', decodeReadMessage(message));
    } else if (channel === CHANNELS.preferences) {
      const { userId, muted } = decodePreferencesMessage(message);
      this.emit('preferences', userId, muted);
    }
  }
}
