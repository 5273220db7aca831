import { Injectable } from '@nestjs/common';
import type { WorkflowEvent } from '../events/domain-event-map.js';
import { OnDomainEvent } from '../events/on-domain-event.decorator.js';
import { TimelineService } from './timeline.service.js';

/**
 * Records each workflow event on that workflow's timeline. Errors are not suppressed
 * (see OnDomainEvent): a timeline that cannot be written fails the emitting request.
 */
@Injectable()
export class TimelinesListener {
  constructor(private readonly timelines: TimelineService) {}

  @OnDomainEvent('workflow.started')
  started(event: WorkflowEvent): Promise<void> {
    return this.timelines.record('workflow.started', event);
  }

  @OnDomainEvent('workflow.approved')
  approved(event: WorkflowEvent): Promise<void> {
    return this.timelines.record('workflow.approved', event);
  }

  @OnDomainEvent('workflow.rejected')
  rejected(event: WorkflowEvent): Promise<void> {
    return this.timelines.record('workflow.rejected', event);
  }

  @OnDomainEvent('workflow.cancelled')
  cancelled(event: WorkflowEvent): Promise<void> {
    return this.timelines.record('workflow.cancelled', event);
  }
}
