import type { Notification } from '../notifications/notification.js';

/** What an instance does with what the feed brings it. */
export interface FeedHandlers {
  /** A stored notification, with its wire JSON (serialized once, at publish). */
  notification(notification: Notification, json: string): void;
  /** A user's read state changed somewhere: their unread counts must be refreshed. */
  read(userId: string): void;
  /** The feed was interrupted and is back: streams must catch up from the store. */
  resumed(): void;
}

/**
 * How stored notifications reach the streams of every instance (this one included),
 * in cursor order, exactly once per instance. In one process it is a direct call; with
 * Redis it is one subscription per instance.
 */
export abstract class NotificationFeed {
  /** Registers this instance's handlers; called once. */
  abstract subscribe(handlers: FeedHandlers): void;

  /** Hands just-stored notifications to every instance. */
  abstract publish(notifications: readonly Notification[]): void;

  /** Tells every instance that a user read something. */
  abstract publishRead(userId: string): Promise<void>;
}
