import type {
  Actor,
  AnnouncementPublished,
  DomainEventMap,
  MessageCreated,
  WorkflowEvent,
} from '../events/domain-event-map.js';
import { BROADCAST, NotificationDraft } from './notification.js';

/**
 * Who is told what about a domain event: pure functions from an event to the
 * notifications it causes. An actor is never notified of their own action.
 */
export const notificationRules: {
  [K in keyof DomainEventMap]: (event: DomainEventMap[K]) => NotificationDraft[];
} = {
  'message.created': (event: MessageCreated) =>
    draftsFor(event.actor, event.to, {
      type: 'message.created',
      title: `New message from ${displayName(event.actor)}`,
      body: event.text,
      data: { messageId: event.messageId },
    }),
  'workflow.started': (event: WorkflowEvent) =>
    draftsFor(event.actor, event.approvers, {
      type: 'workflow.started',
      title: `${displayName(event.actor)} asks for your approval: ${event.name}`,
      body: '',
      data: workflowData(event),
    }),
  'workflow.approved': (event: WorkflowEvent) =>
    draftsFor(event.actor, [event.starterId], {
      type: 'workflow.approved',
      title: `${displayName(event.actor)} approved ${event.name}`,
      body: event.comment ?? '',
      data: workflowData(event),
    }),
  'workflow.rejected': (event: WorkflowEvent) =>
    draftsFor(event.actor, [event.starterId], {
      type: 'workflow.rejected',
      title: `${displayName(event.actor)} rejected ${event.name}`,
      body: event.comment ?? '',
      data: workflowData(event),
    }),
  'workflow.cancelled': (event: WorkflowEvent) =>
    draftsFor(event.actor, event.approvers, {
      type: 'workflow.cancelled',
      title: `${displayName(event.actor)} cancelled ${event.name}`,
      body: '',
      data: workflowData(event),
    }),
  'announcement.published': (event: AnnouncementPublished) =>
    draftsFor(event.actor, null, {
      type: 'announcement',
      title: event.title,
      body: event.body,
      data: { announcementId: event.announcementId },
    }),
};

type Content = Pick<NotificationDraft, 'type' | 'title' | 'body' | 'data'>;

/**
 * One draft per recipient (each once, the actor left out), or a single broadcast
 * draft when `recipients` is null.
 */
export function draftsFor(
  actor: Actor | null,
  recipients: readonly string[] | null,
  content: Content,
): NotificationDraft[] {
  const actorId = actor?.id ?? null;
  if (recipients === null) return [{ ...content, recipient: BROADCAST, actorId }];
  return [...new Set(recipients)]
    .filter((recipient) => recipient !== actorId)
    .map((recipient) => ({ ...content, recipient, actorId }));
}

function displayName(actor: Actor): string {
  return actor.name ?? actor.id;
}

function workflowData(event: WorkflowEvent): Record<string, unknown> {
  return { workflowId: event.workflowId, name: event.name, starterId: event.starterId };
}
