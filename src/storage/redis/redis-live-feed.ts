import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../config.js';
import { withinDeadline } from '../../within-deadline.js';
import { LiveFeed, LiveFeedHandlers } from '../live-feed.js';
import {
  CHANNELS,
  decodeNotificationMessage,
  decodePreferencesMessage,
  decodeTimelineMessage,
  READ_MESSAGE,
  userChannel,
} from './redis-channels.js';
import { RedisConnections } from './redis-connections.js';

/** A user this instance follows: how many of its streams, and their channel's SUBSCRIBE. */
interface Followed {
  streams: number;
  /** Resolves once Redis confirmed the subscription; null once it did. */
  subscribed: Promise<void> | null;
}

/** Where the users' channels begin: the shared channel's name and `:`. */
const USER_CHANNELS = userChannel(CHANNELS, '');

/**
 * The cross-instance {@link LiveFeed}: on the instance's subscriber connection, the shared
 * channels the stores' scripts publish on (redis-channels.ts) for the instance's
 * lifetime, and a user's channel from their first stream here to their last (issue 17:
 * an instance is not woken for users it holds no stream of), all in the order of their
 * writes. ioredis subscribes again to all of them after an outage; then the instance's
 * streams are told to catch up from the store, since whatever was published meanwhile
 * never reached this instance.
 */
@Injectable()
export class RedisLiveFeed extends LiveFeed implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisLiveFeed.name);
  private subscribedBefore = false;
  private stopped = false;
  private readonly followed = new Map<string, Followed>();
  private readonly deadlineMs: number;

  constructor(
    private readonly redis: RedisConnections,
    config: AppConfig,
  ) {
    super();
    this.deadlineMs = config.redisCommandTimeoutMs;
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

  /**
   * The first stream of a user subscribes to their channel; later ones wait for that
   * SUBSCRIBE if it is still on its way. SUBSCRIBE and UNSUBSCRIBE of a channel go in
   * order on the one connection, so a user who leaves and comes back at once ends up
   * subscribed. A stream does not wait longer than a Redis command may take (Redis down:
   * it ends, and its client tries again); the SUBSCRIBE stays queued meanwhile.
   */
  override follow(userId: string): Promise<void> | null {
    let entry = this.followed.get(userId);
    if (entry) {
      entry.streams += 1;
    } else {
      entry = { streams: 1, subscribed: null };
      this.followed.set(userId, entry);
      const subscribing = this.redis.subscriber.subscribe(userChannel(CHANNELS, userId)).then(
        () => {
          if (entry!.subscribed === subscribing) entry!.subscribed = null;
        },
        (error: unknown) => {
          // Its streams end; the next one to open subscribes again.
          if (this.followed.get(userId) === entry) this.followed.delete(userId);
          throw error;
        },
      );
      entry.subscribed = subscribing;
      subscribing.catch(() => undefined);
    }
    return (
      entry.subscribed &&
      withinDeadline(entry.subscribed, this.deadlineMs, () => {
        throw new Error(`Redis did not confirm a subscription within ${this.deadlineMs} ms`);
      })
    );
  }

  override unfollow(userId: string): void {
    const entry = this.followed.get(userId);
    if (!entry || --entry.streams > 0) return;
    this.followed.delete(userId);
    this.redis.subscriber.unsubscribe(userChannel(CHANNELS, userId)).catch(() => undefined);
  }

  private async onReady(): Promise<void> {
    if (this.stopped || this.subscribers.length === 0) return;
    try {
      await this.redis.subscriber.subscribe(CHANNELS.notifications, CHANNELS.timelines);
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
    if (channel.startsWith(USER_CHANNELS)) {
      this.receiveForUser(channel.slice(USER_CHANNELS.length), message);
    } else if (channel === CHANNELS.notifications) {
      this.receiveNotifications(message);
    } else if (channel === CHANNELS.timelines) {
      const { workflowId, event } = decodeTimelineMessage(message);
      this.emit('timeline', workflowId, event);
    }
  }

  /** A message of a user's channel: notifications (a cursor first), a read mark, preferences. */
  private receiveForUser(userId: string, message: string): void {
    if (message === READ_MESSAGE) {
      this.emit('read', userId);
    } else if (message.startsWith('{')) {
      const { muted } = decodePreferencesMessage(message);
      this.emit('preferences', userId, muted);
    } else {
      this.receiveNotifications(message);
    }
  }

  private receiveNotifications(message: string): void {
    let appended;
    try {
      appended = decodeNotificationMessage(message);
    } catch (error) {
      // A message of another format (an instance of another version): not this one's to crash on.
      this.logger.error(`Ignored a notification message: ${String(error)}`);
      return;
    }
    for (const fed of appended) this.emit('notification', fed);
  }
}
