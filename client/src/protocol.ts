/**
 * What the service sends and answers, as TypeScript: the one definition of these shapes.
 * The service imports them from here too (src/notifications, src/storage), so the
 * package's types cannot drift from what goes on the wire. No DOM, no runtime code
 * beyond constants: the service compiles against this file as well.
 *
 * CONTRACT.md: "The notification stream" and "The inbox".
 */

/** A notification exactly as it goes on the wire (`data:` of a notification event). */
export interface Notification {
  /** The cursor: opaque, increasing in publish order; resume after it. */
  id: string;
  /** `message.created`, `announcement`, or any type another service published. */
  type: string;
  /** A user id, or `*` for a broadcast. */
  recipient: string;
  actorId: string | null;
  title: string;
  body: string;
  data: Record<string, unknown>;
  /** ISO 8601. */
  createdAt: string;
}

/** A notification as the inbox lists it (`GET /notifications`). */
export interface InboxItem extends Notification {
  read: boolean;
}

/** One page of the inbox, newest first. */
export interface InboxPage {
  items: InboxItem[];
  /** Pass as `before` for the next (older) page; null when nothing older exists. */
  nextBefore: string | null;
}

/** `GET`/`PUT /notifications/preferences`, and the stream's `preferences` event. */
export interface Preferences {
  /** Every known type: `true` unless the user turned it off. */
  types: Record<string, boolean>;
}

/** `GET /notifications/types`, and the stream's `types` event. */
export interface NotificationTypesEvent {
  /** Every notification type the service knows, sorted. */
  types: string[];
}

/** The stream's `unread-count` event, and `GET /notifications/unread-count`. */
export interface UnreadCountEvent {
  count: number;
}

/** The stream's `reset` event: the cursor could not be honoured; reload the inbox. */
export interface ResetEvent {
  reason: string;
  /** The user's latest cursor: the stream goes on after it. */
  latestId: string | null;
}

/** Sent 30 s before the stream's token expires (the stream ends then). */
export interface TokenExpiringEvent {
  /** ISO 8601: the token's `exp`. */
  expiresAt: string;
}

/**
 * The notification stream's control events (no `id:` line), by event name. Every
 * other event name on that stream is a notification type, carrying a {@link Notification}.
 */
export interface NotificationStreamControlEvents {
  reset: ResetEvent;
  types: NotificationTypesEvent;
  preferences: Preferences;
  'token-expiring': TokenExpiringEvent;
  'unread-count': UnreadCountEvent;
}

/** The types the service itself publishes (`POST /notifications` may add any other). */
export const BUILT_IN_NOTIFICATION_TYPES = [
  'message.created',
  'workflow.started',
  'workflow.approved',
  'workflow.rejected',
  'workflow.cancelled',
  'announcement',
] as const;

export type BuiltInNotificationType = (typeof BUILT_IN_NOTIFICATION_TYPES)[number];
