import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { WorkflowEvent } from '../events.js';
import { TimelineService } from './timeline.service.js';

const listen = { suppressErrors: false } as const;

/** Records each workflow event on that workflow's timeline. */
@Injectable()
export class TimelinesListener {
  constructor(private readonly timelines: TimelineService) {}

  @OnEvent('workflow.started', listen)
  started(event: WorkflowEvent): Promise<void> {
    return this.timelines.record('workflow.started', event);
  }

  @OnEvent('workflow.approved', listen)
  approved(event: WorkflowEvent): Promise<void> {
    return this.timelines.record('workflow.approved', event);
  }

  @OnEvent('workflow.rejected', listen)
  rejected(event: WorkflowEvent): Promise<void> {
    return this.timelines.record('workflow.rejected', event);
  }

  @OnEvent('workflow.cancelled', listen)
  cancelled(event: WorkflowEvent): Promise<void> {
    return this.timelines.record('workflow.cancelled', event);
  }
}
