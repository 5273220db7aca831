/** `recipient` of a broadcast: every user but the actor. */
export const BROADCAST = '*';

/** A notification before it is stored: no cursor, no time yet. */
export interface NotificationDraft {
  type: string;
  /** A user id, or {@link BROADCAST}. */
  recipient: string;
  actorId: string | null;
  title: string;
  body: string;
  data: Record<string, unknown>;
}

/** A stored notification, exactly as it goes on the wire (CONTRACT.md, "The notification stream"). */
export interface Notification extends NotificationDraft {
  /** The cursor: opaque to clients, increasing in publish order. */
  id: string;
  createdAt: string;
}

/** The types the service itself publishes (`POST /notifications` may use others). */
export const BUILT_IN_NOTIFICATION_TYPES = [
  'message.created',
  'workflow.started',
  'workflow.approved',
  'workflow.rejected',
  'workflow.cancelled',
  'announcement',
] as const;

/** Notification types are names, never markup or field separators. */
export const NOTIFICATION_TYPE_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * Event names the service itself sends without an id (CONTRACT.md, control events):
 * a published notification may not take one, or clients would mistake it for them.
 */
export const CONTROL_EVENT_TYPES = [
  'reset',
  'types',
  'preferences',
  'token-expiring',
  'unread-count',
  'end',
  'snapshot',
  'join',
  'move',
  'leave',
  'error',
  'open',
  'message',
];
