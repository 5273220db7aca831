/**
 * Compile-time checks of the typed domain events, never run. Each line after an
 * `@ts-expect-error TSxxxx` must fail to compile with that error, and every other line
 * must compile: domain-event-types.spec.ts compiles this file with the directives
 * removed and checks both, so a check that stops failing (or fails for another reason)
 * fails `npm test`.
 */
import type {
  AnnouncementPublished,
  MessageCreated,
  WorkflowEvent,
} from '../../src/events/domain-event-map.js';
import type { DomainEventBus } from '../../src/events/domain-event-bus.js';
import { OnDomainEvent } from '../../src/events/on-domain-event.decorator.js';

export class Handlers {
  @OnDomainEvent('message.created')
  message(event: MessageCreated): string {
    return event.text;
  }

  @OnDomainEvent('workflow.approved', { async: true, suppressErrors: false })
  async approved(event: WorkflowEvent): Promise<void> {
    await Promise.resolve(event.workflowId);
  }

  /** A handler may ask for less than the payload has. */
  @OnDomainEvent('workflow.started')
  needsLess(event: { workflowId: string }): string {
    return event.workflowId;
  }

  @OnDomainEvent('announcement.published')
  ignoresPayload(): void {}

  // @ts-expect-error TS1241 TS2345: a renamed (or misspelt) event is not in the map
  @OnDomainEvent('message.create')
  renamed(event: MessageCreated): void {
    void event;
  }

  // @ts-expect-error TS1241: the payload of message.created is not a WorkflowEvent
  @OnDomainEvent('message.created')
  wrongPayload(event: WorkflowEvent): void {
    void event;
  }

  // @ts-expect-error TS1241: a handler may not ask for a field the payload lacks
  @OnDomainEvent('announcement.published')
  missingField(event: AnnouncementPublished & { messageId: string }): void {
    void event;
  }
}

export async function emits(bus: DomainEventBus, workflow: WorkflowEvent): Promise<void> {
  await bus.emit('workflow.cancelled', workflow);
  // @ts-expect-error TS2345: an event that is not in the map cannot be emitted
  await bus.emit('workflow.canceled', workflow);
  // @ts-expect-error TS2345: nor an event with another event's payload
  await bus.emit('message.created', workflow);
}
