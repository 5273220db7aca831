import type { BuiltInNotificationType, Notification } from '@notification-hub/client/protocol';

/** `recipient` of a broadcast: every user but the actor. */
export const BROADCAST = '*';

/** A notification before it is stored: no cursor, no time yet. */
export type NotificationDraft = Omit<Notification, 'id' | 'createdAt'>;

/**
 * A stored notification, exactly as it goes on the wire: defined once, in the client
 * package's protocol module, which adopters' code compiles against too.
 */
export type { Notification };

/**
 * The types the service itself publishes (`POST /notifications` may use others). A value
 * the service needs at run time, so it is written here; the compiler holds it equal to
 * the protocol's list (both ways, below).
 */
export const BUILT_IN_NOTIFICATION_TYPES = [
  'message.created',
  'workflow.started',
  'workflow.approved',
  'workflow.rejected',
  'workflow.cancelled',
  'announcement',
] as const satisfies readonly BuiltInNotificationType[];

/** Fails to compile when the protocol names a built-in type missing from the list above. */
const everyBuiltInTypeListed: Exclude<
  BuiltInNotificationType,
  (typeof BUILT_IN_NOTIFICATION_TYPES)[number]
> extends never
  ? true
  : false = true;
void everyBuiltInTypeListed;

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
