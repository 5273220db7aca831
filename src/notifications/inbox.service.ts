import { Injectable, NotFoundException } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { InboxPage, NotificationStore } from '../storage/notification-store.js';
import { PreferenceStore } from '../storage/preference-store.js';
import type { ListNotificationsQuery } from './dto/list-notifications.query.js';

/** Default page size of `GET /notifications`. */
export const DEFAULT_PAGE_SIZE = 50;

/**
 * The persistent inbox (CONTRACT.md, "The inbox"). The store's read and archive marks go
 * out on the live feed by themselves, so that the user's badges are updated on every
 * instance. What the user turned off is neither listed nor counted.
 */
@Injectable()
export class InboxService {
  constructor(
    private readonly store: NotificationStore,
    private readonly preferences: PreferenceStore,
  ) {}

  async list(user: AuthUser, query: ListNotificationsQuery): Promise<InboxPage> {
    return this.store.inbox(user.id, {
      unreadOnly: query.unread ?? false,
      before: query.before ?? null,
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
      archived: query.archived ?? false,
      types: query.type ?? null,
      muted: await this.preferences.mutedTypes(user.id),
    });
  }

  async unreadCount(user: AuthUser): Promise<{ count: number }> {
    const muted = await this.preferences.mutedTypes(user.id);
    return { count: (await this.store.unreadCount(user.id, muted)).count };
  }

  async markRead(user: AuthUser, id: string): Promise<void> {
    found(id, await this.store.markRead(user.id, id));
  }

  async markUnread(user: AuthUser, id: string): Promise<void> {
    found(id, await this.store.markUnread(user.id, id));
  }

  async setArchived(user: AuthUser, id: string, archived: boolean): Promise<void> {
    found(id, await this.store.setArchived(user.id, id, archived));
  }

  async markAllRead(user: AuthUser): Promise<void> {
    await this.store.markAllRead(user.id);
  }
}

/** The store answers false for an id the user has no notification under. */
function found(id: string, exists: boolean): void {
  if (!exists) throw new NotFoundException(`Notification ${id} not found`);
}
