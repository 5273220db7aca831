import { Injectable } from '@nestjs/common';
import type {
  AnnouncementPublished,
  MessageCreated,
  WorkflowEvent,
} from '../events/domain-event-map.js';
import { OnDomainEvent } from '../events/on-domain-event.decorator.js';
import type { Notification } from './notification.js';
import { notificationRules as rules } from './notification-rules.js';
import { NotificationsService } from './notifications.service.js';

/**
 * Turns domain events into notifications. Errors are not suppressed (see
 * OnDomainEvent): they reach the emitting request, which then fails instead of
 * losing a notification.
 */
@Injectable()
export class NotifyOnDomainEventsListener {
  constructor(private readonly notifications: NotificationsService) {}

  @OnDomainEvent('message.created')
  onMessageCreated(event: MessageCreated): Promise<Notification[]> {
    return this.notifications.publish(rules['message.created'](event));
  }

  @OnDomainEvent('workflow.started')
  onWorkflowStarted(event: WorkflowEvent): Promise<Notification[]> {
    return this.notifications.publish(rules['workflow.started'](event));
  }

  @OnDomainEvent('workflow.approved')
  onWorkflowApproved(event: WorkflowEvent): Promise<Notification[]> {
    return this.notifications.publish(rules['workflow.approved'](event));
  }

  @OnDomainEvent('workflow.rejected')
  onWorkflowRejected(event: WorkflowEvent): Promise<Notification[]> {
    return this.notifications.publish(rules['workflow.rejected'](event));
  }

  @OnDomainEvent('workflow.cancelled')
  onWorkflowCancelled(event: WorkflowEvent): Promise<Notification[]> {
    return this.notifications.publish(rules['workflow.cancelled'](event));
  }

  @OnDomainEvent('announcement.published')
  onAnnouncementPublished(event: AnnouncementPublished): Promise<Notification[]> {
    return this.notifications.publish(rules['announcement.published'](event));
  }
}
