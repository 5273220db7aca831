import type { Notification, NotificationDraft } from '../notifications/notification.js';

/**
 * Where notifications are kept. Appending assigns each one its cursor, strictly
 * increasing in append order; a broadcast is one entry, whatever the number of users.
 */
export abstract class NotificationStore {
  /** Stores the drafts, in order, all or none; resolves once they are durable. */
  abstract append(drafts: readonly NotificationDraft[]): Promise<Notification[]>;
}
