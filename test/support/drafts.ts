import type { NotificationDraft } from '../../src/notifications/notification.js';

/** A plain draft to `recipient` (a user id or '*') by `actorId`, naming its recipient in `data`. */
export function draft(recipient: string, actorId: string | null = 'system'): NotificationDraft {
  return { type: 'test.event', recipient, actorId, title: 't', body: 'b', data: { to: recipient } };
}
