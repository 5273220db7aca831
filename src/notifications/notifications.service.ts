import { Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { NotificationStore } from '../storage/notification-store.js';
import { isStorageUnavailable } from '../storage/storage-unavailable.filter.js';
import type { PublishNotificationDto } from './dto/publish-notification.dto.js';
import { BROADCAST, Notification, NotificationDraft } from './notification.js';
import { draftsFor } from './notification-rules.js';

/**
 * Publishing is storing: the store's append hands what it stored to the live feed that
 * delivers on every instance (storage/live-feed.ts), so anything a client saw can be
 * replayed.
 */
@Injectable()
export class NotificationsService {
  private readonly logger = new Logger(NotificationsService.name);

  constructor(
    private readonly store: NotificationStore,
    private readonly metrics: MetricsService,
  ) {}

  /** `POST /notifications`: the caller is the actor, who is never among the recipients. */
  publishRequest(caller: AuthUser, request: PublishNotificationDto): Promise<Notification[]> {
    const recipients = request.recipients === BROADCAST ? null : request.recipients;
    return this.publish(
      draftsFor({ id: caller.id, name: caller.name }, recipients, {
        type: request.type,
        title: request.title,
        body: request.body ?? '',
        data: request.data ?? {},
      }),
    );
  }

  /**
   * Rejects (a 503) when the store cannot write: a notification is never dropped silently.
   */
  async publish(drafts: readonly NotificationDraft[]): Promise<Notification[]> {
    if (drafts.length === 0) return [];
    let stored: Notification[];
    try {
      stored = await this.store.append(drafts);
    } catch (error) {
      this.metrics.storageError('append');
      this.logger.error(
        `The notification store could not append ${drafts.length} notification(s): ${String(error)}`,
      );
      // The storage filter answers 503 and says whether the append may have run after all.
      if (isStorageUnavailable(error)) throw error;
      throw new ServiceUnavailableException(
        'The notification store could not save the notification; nothing was published',
      );
    }
    this.metrics.notificationsPublished(stored.map((notification) => notification.type));
    return stored;
  }
}
