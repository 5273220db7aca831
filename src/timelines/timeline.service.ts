import { ConflictException, ForbiddenException, Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import type { WorkflowEvent } from '../events/domain-event-map.js';
import { TimelineEventType, TimelineStore } from '../storage/timeline-store.js';
import { WorkflowsService } from '../workflows/workflows.service.js';

/**
 * Writes workflow timelines: the workflow's own events, and log lines from automation.
 * The store's append hands them to the live feed, which brings them to the streams.
 */
@Injectable()
export class TimelineService {
  constructor(
    private readonly store: TimelineStore,
    private readonly workflows: WorkflowsService,
  ) {}

  async record(type: TimelineEventType, event: WorkflowEvent): Promise<void> {
    await this.store.append(event.workflowId, [
      {
        type,
        data: {
          workflowId: event.workflowId,
          name: event.name,
          actorId: event.actor.id,
          comment: event.comment,
          at: new Date().toISOString(),
        },
      },
    ]);
  }

  /** `POST /workflows/:id/logs`: the starter, or a `service`, while the workflow runs. */
  async appendLogs(
    user: AuthUser,
    workflowId: string,
    lines: string[],
  ): Promise<{ count: number }> {
    const isService = user.roles.includes('service');
    const workflow = isService
      ? await this.workflows.findAny(workflowId)
      : await this.workflows.findVisible(user, workflowId);
    if (!isService && workflow.starterId !== user.id) {
      throw new ForbiddenException(
        `Only the starter or a service may log to workflow ${workflowId}`,
      );
    }
    if (workflow.status !== 'pending') {
      throw new ConflictException(`Workflow ${workflowId} is already ${workflow.status}`);
    }
    const at = new Date().toISOString();
    await this.store.append(
      workflowId,
      lines.map((line) => ({ type: 'log', data: { line, at } })),
    );
    return { count: lines.length };
  }
}
