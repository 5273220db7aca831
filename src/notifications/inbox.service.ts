import { Injectable, NotFoundException } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { InboxPage, NotificationStore } from '../storage/notification-store.js';
import type { ListNotificationsQuery } from './dto/list-notifications.query.js';

/** Default page size of `GET /notifications`. */
export const DEFAULT_PAGE_SIZE = 50;

/**
 * The persistent inbox (CONTRACT.md, "The inbox"). The store's read marks go out on the
 * live feed by themselves, so that the user's badges are updated on every instance.
 */
@Injectable()
export class InboxService {
  constructor(private readonly store: NotificationStore) {}

  list(user: AuthUser, query: ListNotificationsQuery): Promise<InboxPage> {
    return this.store.inbox(user.id, {
      unreadOnly: query.unread ?? false,
      before: query.before ?? null,
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
    });
  }

  async unreadCount(user: AuthUser): Promise<{ count: number }> {
    return { count: (await this.store.unreadCount(user.id)).count };
  }

  async markRead(user: AuthUser, id: string): Promise<void> {
    if (!(await this.store.markRead(user.id, id))) {
      throw new NotFoundException(`Notification ${id} not found`);
    }
  }

  async markAllRead(user: AuthUser): Promise<void> {
    await this.store.markAllRead(user.id);
  }
}
