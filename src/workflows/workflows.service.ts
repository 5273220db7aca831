import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AuthUser } from '../auth/auth-user.js';
import { DomainEvents } from '../domain-events.js';
import type { DomainEventName, WorkflowEvent } from '../events.js';
import type { StartWorkflowDto } from './dto/start-workflow.dto.js';
import type { Workflow, WorkflowStatus } from './workflow.js';
import { assertMayCancel, assertMayDecide } from './workflow-access.js';

@Injectable()
export class WorkflowsService {
  private readonly workflows = new Map<string, Workflow>();

  constructor(private readonly events: DomainEvents) {}

  async start(starter: AuthUser, dto: StartWorkflowDto): Promise<Workflow> {
    const now = new Date().toISOString();
    const workflow: Workflow = {
      id: randomUUID(),
      name: dto.name,
      starterId: starter.id,
      approvers: dto.approvers ?? null,
      status: 'pending',
      decision: null,
      createdAt: now,
      updatedAt: now,
    };
    this.workflows.set(workflow.id, workflow);
    await this.announce('workflow.started', workflow, starter, null);
    return workflow;
  }

  async decide(
    user: AuthUser,
    id: string,
    decision: 'approved' | 'rejected',
    comment: string | null,
  ): Promise<Workflow> {
    const current = assertMayDecide(this.workflows.get(id), id, user.id);
    const at = new Date().toISOString();
    const updated: Workflow = {
      ...current,
      status: decision,
      decision: { userId: user.id, decision, comment, at },
      updatedAt: at,
    };
    this.workflows.set(id, updated);
    await this.announce(`workflow.${decision}`, updated, user, comment);
    return updated;
  }

  async cancel(user: AuthUser, id: string): Promise<Workflow> {
    const current = assertMayCancel(this.workflows.get(id), id, user.id);
    const updated = this.withStatus(current, 'cancelled');
    this.workflows.set(id, updated);
    await this.announce('workflow.cancelled', updated, user, null);
    return updated;
  }

  private withStatus(workflow: Workflow, status: WorkflowStatus): Workflow {
    return { ...workflow, status, updatedAt: new Date().toISOString() };
  }

  private announce(
    name: Extract<DomainEventName, `workflow.${string}`>,
    workflow: Workflow,
    actor: AuthUser,
    comment: string | null,
  ): Promise<unknown[]> {
    const event: WorkflowEvent = {
      actor: { id: actor.id, name: actor.name },
      workflowId: workflow.id,
      name: workflow.name,
      starterId: workflow.starterId,
      approvers: workflow.approvers,
      comment,
    };
    return this.events.emit(name, event);
  }
}
