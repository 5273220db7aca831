import type { Notification } from '../notifications/notification.js';
import type { TimelineEvent } from './timeline-store.js';

/**
 * A stored notification as the feed brings it: what routing needs first (cursor, type,
 * recipient), readable without parsing the notification, so that an instance with no
 * stream for the recipient skips it for the price of reading those three.
 */
export interface FedNotification {
  /** The cursor. */
  readonly id: string;
  readonly type: string;
  /** A user id, or `*` for a broadcast. */
  readonly recipient: string;
  /** The wire JSON, serialized once, when it was stored. */
  readonly json: string;
  /** The notification itself (parsed from {@link json} on first call where it travelled as text). */
  notification(): Notification;
}

/** What an instance does with what the feed brings it; each subscriber takes what it needs. */
export interface LiveFeedHandlers {
  /** A stored notification: every broadcast, every one of a followed user, maybe others. */
  notification?(fed: FedNotification): void;
  /** A user's read state changed somewhere: their unread counts must be refreshed. */
  read?(userId: string): void;
  /** A user's preferences changed somewhere: the types they turned off, after the change. */
  preferences?(userId: string, muted: readonly string[]): void;
  /** An event appended to a workflow's timeline. */
  timeline?(workflowId: string, event: TimelineEvent): void;
  /** The feed was interrupted and is back: streams must catch up from the store. */
  resumed?(): void;
}

/**
 * What the stores' writes bring to every instance (this one included): stored
 * notifications and timeline events, in cursor order and once per instance, and read
 * state and preference changes; of a user, to the instances that {@link follow} them
 * (and may to others). This port only subscribes; nothing publishes through it.
 *
 * The writes publish themselves: {@link NotificationStore.append},
 * {@link TimelineStore.append}, the read and archive marks and
 * {@link PreferenceStore.setTypes} hand what they wrote to the feed as part of the write. With Redis the store's script publishes in the same
 * atomic step as the write, so the order of the channel is the order of the cursors on
 * every instance; a publish sent by the caller after the write could be overtaken by
 * another instance's write and publish, and a stream would see cursors out of order.
 * Embedded, the SQLite store hands its rows to the in-process feed right after its
 * (synchronous) transaction, in the same order.
 */
export abstract class LiveFeed {
  protected readonly subscribers: LiveFeedHandlers[] = [];

  /** Registers a subscriber of this instance (once per module that streams). */
  subscribe(handlers: LiveFeedHandlers): void {
    this.subscribers.push(handlers);
  }

  /**
   * A stream of `userId` opens here: the feed brings this instance the user's
   * notifications, read marks and preference changes until as many {@link unfollow}
   * calls. Returns null when they are heard already; else a promise that resolves once
   * they are (what is published before that is not brought: a stream replays it from the
   * store), or rejects when that could not be done in time. This feed hears everything.
   */
  follow(_userId: string): Promise<void> | null {
    return null;
  }

  /** A stream of `userId` that {@link follow}ed closed. */
  unfollow(_userId: string): void {}

  protected emit<K extends keyof LiveFeedHandlers>(
    name: K,
    ...args: Parameters<NonNullable<LiveFeedHandlers[K]>>
  ): void {
    for (const subscriber of this.subscribers) {
      (subscriber[name] as ((...a: typeof args) => void) | undefined)?.(...args);
    }
  }
}
