import { Injectable } from '@nestjs/common';
import type { Notification, NotificationDraft } from '../notifications/notification.js';
import { NotificationStore } from './notification-store.js';

/** Keeps notifications in this process's memory; they are gone on restart. */
@Injectable()
export class MemoryNotificationStore extends NotificationStore {
  private readonly notifications: Notification[] = [];
  private lastCursor = 0;

  append(drafts: readonly NotificationDraft[]): Promise<Notification[]> {
    const createdAt = new Date().toISOString();
    const stored = drafts.map((draft) => ({
      id: String(++this.lastCursor),
      ...draft,
      createdAt,
    }));
    this.notifications.push(...stored);
    return Promise.resolve(stored);
  }
}
