import { Injectable } from '@nestjs/common';
import { NotificationStore } from '../storage/notification-store.js';
import type { Notification, NotificationDraft } from './notification.js';
import { NotificationRouter } from './notification-router.js';

/** Publishing: store first, then deliver, so anything a client saw can be replayed. */
@Injectable()
export class NotificationsService {
  constructor(
    private readonly store: NotificationStore,
    private readonly router: NotificationRouter,
  ) {}

  async publish(drafts: readonly NotificationDraft[]): Promise<Notification[]> {
    if (drafts.length === 0) return [];
    const stored = await this.store.append(drafts);
    for (const notification of stored) this.router.deliver(notification);
    return stored;
  }
}
