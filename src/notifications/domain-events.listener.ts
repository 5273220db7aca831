import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { AnnouncementPublished, MessageCreated, WorkflowEvent } from '../events.js';
import type { Notification } from './notification.js';
import { notificationRules as rules } from './notification-rules.js';
import { NotificationsService } from './notifications.service.js';

/**
 * Turns domain events into notifications. Errors are not suppressed: they reach
 * the emitting request, which then fails instead of losing a notification.
 */
const listen = { suppressErrors: false } as const;

@Injectable()
export class DomainEventsListener {
  constructor(private readonly notifications: NotificationsService) {}

  @OnEvent('message.created', listen)
  onMessageCreated(event: MessageCreated): Promise<Notification[]> {
    return this.notifications.publish(rules['message.created'](event));
  }

  @OnEvent('workflow.started', listen)
  onWorkflowStarted(event: WorkflowEvent): Promise<Notification[]> {
    return this.notifications.publish(rules['workflow.started'](event));
  }

  @OnEvent('workflow.approved', listen)
  onWorkflowApproved(event: WorkflowEvent): Promise<Notification[]> {
    return this.notifications.publish(rules['workflow.approved'](event));
  }

  @OnEvent('workflow.rejected', listen)
  onWorkflowRejected(event: WorkflowEvent): Promise<Notification[]> {
    return this.notifications.publish(rules['workflow.rejected'](event));
  }

  @OnEvent('workflow.cancelled', listen)
  onWorkflowCancelled(event: WorkflowEvent): Promise<Notification[]> {
    return this.notifications.publish(rules['workflow.cancelled'](event));
  }

  @OnEvent('announcement.published', listen)
  onAnnouncementPublished(event: AnnouncementPublished): Promise<Notification[]> {
    return this.notifications.publish(rules['announcement.published'](event));
  }
}
