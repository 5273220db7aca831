/**
 * Every domain event, declared once. Domain modules emit these after their write
 * succeeded; listeners take the payload type from the event name.
 */
export interface Actor {
  id: string;
  name: string | null;
}

export interface MessageCreated {
  actor: Actor;
  messageId: string;
  text: string;
  /** Recipients, or null for every other user. */
  to: string[] | null;
}

export interface WorkflowEvent {
  actor: Actor;
  workflowId: string;
  name: string;
  starterId: string;
  /** Approvers, or null when any other user may decide. */
  approvers: string[] | null;
  comment: string | null;
}

export interface AnnouncementPublished {
  actor: Actor;
  announcementId: string;
  title: string;
  body: string;
}

export interface DomainEventMap {
  'message.created': MessageCreated;
  'workflow.started': WorkflowEvent;
  'workflow.approved': WorkflowEvent;
  'workflow.rejected': WorkflowEvent;
  'workflow.cancelled': WorkflowEvent;
  'announcement.published': AnnouncementPublished;
}

export type DomainEventName = keyof DomainEventMap;
