import type { Notification } from '../notifications/notification.js';
import type { TimelineEvent } from './timeline-store.js';

/** What an instance does with what the feed brings it; each subscriber takes what it needs. */
export interface FeedHandlers {
  /** A stored notification, with its wire JSON (serialized once, at publish). */
  notification?(notification: Notification, json: string): void;
  /** A user's read state changed somewhere: their unread counts must be refreshed. */
  read?(userId: string): void;
  /** An event appended to a workflow's timeline. */
  timeline?(workflowId: string, event: TimelineEvent): void;
  /** The feed was interrupted and is back: streams must catch up from the store. */
  resumed?(): void;
}

/**
 * The cross-instance bus: how stored notifications and timeline events reach the streams
 * of every instance (this one included), in cursor order, exactly once per instance. In
 * one process it is a direct call; with Redis it is one subscription per instance.
 */
export abstract class NotificationFeed {
  protected readonly subscribers: FeedHandlers[] = [];

  /** Registers a subscriber of this instance (once per module that streams). */
  subscribe(handlers: FeedHandlers): void {
    this.subscribers.push(handlers);
  }

  /** Hands just-stored notifications to every instance. */
  abstract publish(notifications: readonly Notification[]): void;

  /** Hands just-appended timeline events to every instance. */
  abstract publishTimeline(workflowId: string, events: readonly TimelineEvent[]): void;

  /** Tells every instance that a user read something. */
  abstract publishRead(userId: string): Promise<void>;

  protected emit<K extends keyof FeedHandlers>(
    name: K,
    ...args: Parameters<NonNullable<FeedHandlers[K]>>
  ): void {
    for (const subscriber of this.subscribers) {
      (subscriber[name] as ((...a: typeof args) => void) | undefined)?.(...args);
    }
  }
}
